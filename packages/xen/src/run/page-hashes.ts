import { FormatError } from "@handoff/core";
import { PAYLOAD_HEADER } from "./data-block.js";
import { blockFrames } from "./results.js";

const PAGE = 4096;
/** How much guest RAM one read of the page search covers. */
const SEARCH_CHUNK = 16 << 20;

/** The payload's hash of one page (x86-pvh-payload.S): FNV-1a over its little-endian dwords, h = (h ^ dword) * 0x01000193 mod 2^32 from 0x811c9dc5. */
export function pageHash(page: Uint8Array): bigint {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let h = 0x811c9dc5;
  for (let at = 0; at + 4 <= page.length; at += 4) h = Math.imul(h ^ view.getUint32(at, true), 0x01000193) >>> 0;
  return BigInt(h);
}

/** The block pages (1..) whose bytes differ from the hash the payload wrote of them, by wanted hash. */
function mismatches(block: Uint8Array, pages: number): Map<bigint, number[]> {
  const table = blockFrames(block.subarray(0, PAGE), pages);
  if (!table) throw new FormatError("xen run results", "data block", "frame table", PAYLOAD_HEADER.frameTable, "no page hashes");
  const wrong = new Map<bigint, number[]>();
  for (let i = 1; i < pages; i++) {
    if (pageHash(block.subarray(i * PAGE, (i + 1) * PAGE)) === table[i]) continue;
    wrong.set(table[i]!, [...(wrong.get(table[i]!) ?? []), i]);
  }
  return wrong;
}

/**
 * Check pages read back where a PVH dom0's block was assumed to continue
 * against the hashes the payload wrote of its own pages (frame table entries
 * 1..): a page read from the wrong machine frame fails with its index.
 */
export function checkPageHashes(block: Uint8Array, pages: number): void {
  const [hash, at] = [...mismatches(block, pages)][0] ?? [];
  if (at) throw new FormatError("xen run results", "data block", `page ${at[0]}`, at[0]! * PAGE, `hash ${pageHash(block.subarray(at[0]! * PAGE, (at[0]! + 1) * PAGE)).toString(16)} read, the guest wrote ${hash!.toString(16)}: its pages are not machine-contiguous here`);
}

/** Reads `length` bytes of guest RAM at a machine address (QMP). */
export type MemoryReader = (address: bigint, length: number) => Promise<Uint8Array>;

/**
 * A PVH dom0's block from its first page at machine address `at`. Its
 * guest-physical pages are not machine pages and the guest cannot learn its
 * machine frames, but Xen populates PVH RAM in naturally aligned 2 MiB chunks
 * (pvh_populate_memory_range), so the block is read on contiguously and each
 * page checked against the hash the payload wrote of it; a page that differs
 * is looked for in all of `ram` by that hash (a page with the same hash holds
 * the same bytes, wherever it sits). `moved` lists the pages found elsewhere;
 * a page found nowhere is a FormatError naming it.
 */
export async function readHashedBlock(read: MemoryReader, ram: { readonly base: bigint; readonly size: number }, at: bigint, size: number): Promise<{ bytes: Uint8Array; moved: number[] }> {
  const bytes = await read(at, size);
  const missing = mismatches(bytes, size / PAGE);
  const moved: number[] = [];
  for (let off = 0; off < ram.size && missing.size > 0; off += SEARCH_CHUNK) {
    const dump = await read(ram.base + BigInt(off), Math.min(SEARCH_CHUNK, ram.size - off));
    for (let p = 0; p + PAGE <= dump.length && missing.size > 0; p += PAGE) {
      const hash = pageHash(dump.subarray(p, p + PAGE));
      const want = missing.get(hash);
      if (!want) continue;
      for (const i of want) bytes.set(dump.subarray(p, p + PAGE), i * PAGE);
      moved.push(...want);
      missing.delete(hash);
    }
  }
  const [hash, pages] = [...missing][0] ?? [];
  if (pages) throw new FormatError("xen run results", "data block", `page ${pages[0]}`, pages[0]! * PAGE, `no page of guest RAM has the hash ${hash!.toString(16)} the guest wrote of it`);
  return { bytes, moved: moved.sort((a, b) => a - b) };
}
