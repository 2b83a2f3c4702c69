import { ValidationError } from "@handoff/core";
import type { CValue, Layout } from "@handoff/core/c-abi";

/**
 * The payload's data block: a header the payload code reads, then everything
 * the calls point at, the call table and the relocation table. Offsets in the
 * header and call entries are the payload code's contract (the `.S` files
 * name the same numbers).
 */
export const PAYLOAD_HEADER = {
  nonce: 0x00,
  /** Written by the payload: the block's guest address. Non-zero marks the running copy. */
  base: 0x10,
  /** Guest address minus guest-physical address of the block (0 where dom0 runs with paging off or 1:1). */
  frameBias: 0x18,
  callCount: 0x20,
  callTable: 0x28,
  relocCount: 0x30,
  relocTable: 0x38,
  /** Offset of the frame table (0: none): the payload writes each block page's machine frame there. */
  frameTable: 0x40,
  /** Entries of the frame table (the block's pages). */
  frameCount: 0x48,
  /** PVH, written by the payload: hvm_start_info's guest-physical address. */
  startInfo: 0x50,
  /** PVH: block offset of the payload's copy of hvm_start_info (0: none). */
  startInfoCopy: 0x58,
  /** PVH, written by the payload: the CPUID leaf base with Xen's signature. */
  cpuidBase: 0x60,
  /** PVH, written by the payload: the hypercall page MSR that leaf base + 2 names. */
  hypercallMsr: 0x68,
  /** PVH: 1 to switch to long mode before the calls (native ABI), 0 to stay in 32-bit protected mode (compat ABI). */
  longMode: 0x70,
  /** PVH, written by the payload: the hypercall page's guest-physical address. */
  hypercallPage: 0x78,
  size: 0x80,
} as const;

/** One call table entry: eight 64-bit words. */
export const CALL_ENTRY = { nr: 0, args: 8, result: 48, done: 56, size: 64, maxArgs: 5 } as const;

/** Frame table entries that fit in the block's first page after the header: the block's page limit where one is needed. */
export const FRAME_TABLE_SLOTS = (4096 - PAYLOAD_HEADER.size) / 8;

/** Bytes of random nonce that mark the block in a memory dump. */
export const NONCE_SIZE = 16;
/** Kind bits of a relocation entry: add the block's address (0) or its first frame number (1). */
export const RELOC_KIND_SHIFT = 62n;
const MAX_BLOCK = 4 << 20;
const PAGE = 4096;
/** Block offset of the bulk area: large buffers the payload's image carries past the block, never read back. */
export const BULK_OFFSET = MAX_BLOCK;
/** Bytes the bulk area may hold (kexec segments: a kernel and its initramfs). */
const MAX_BULK = 256 << 20;

/** Where a value goes when the block's address is known. */
export type RelocKind = "address" | "frame";

/** A growing data block with its relocations (offsets of words that hold block offsets). */
export class DataBlock {
  private bytes = new Uint8Array(64 * 1024);
  private used: number = PAYLOAD_HEADER.size;
  private frameTable = 0;
  readonly relocs: { readonly offset: number; readonly kind: RelocKind }[] = [];
  private readonly bulkParts: { readonly at: number; readonly bytes: Uint8Array }[] = [];
  private bulkUsed = 0;

  /** Place `bytes` page-aligned in the bulk area; returns its block offset (past the block). */
  bulk(bytes: Uint8Array): number {
    const at = Math.ceil(this.bulkUsed / PAGE) * PAGE;
    if (at + bytes.length > MAX_BULK) throw new ValidationError("xen run bulk area", `more than ${MAX_BULK} bytes`);
    this.bulkParts.push({ at, bytes });
    this.bulkUsed = at + bytes.length;
    return BULK_OFFSET + at;
  }

  /** The bulk area's bytes (from BULK_OFFSET), or undefined when nothing was placed there. */
  bulkBytes(): Uint8Array | undefined {
    if (this.bulkUsed === 0) return undefined;
    const area = new Uint8Array(this.bulkUsed);
    for (const part of this.bulkParts) area.set(part.bytes, part.at);
    return area;
  }

  /** Reserve `size` bytes aligned to `align`; returns the offset. */
  alloc(size: number, align = 8): number {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_BLOCK) throw new ValidationError("xen run data block", `allocation of ${size} bytes`);
    const at = Math.ceil(this.used / align) * align;
    if (at + size > MAX_BLOCK) throw new ValidationError("xen run data block", `more than ${MAX_BLOCK} bytes`);
    while (at + size > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.used = at + size;
    return at;
  }

  put(offset: number, data: Uint8Array): void {
    this.bytes.set(data, offset);
  }

  word(offset: number, value: bigint): void {
    new DataView(this.bytes.buffer).setBigUint64(offset, BigInt.asUintN(64, value), true);
  }

  reloc(offset: number, kind: RelocKind): void {
    this.relocs.push({ offset, kind });
  }

  /** Reserve the frame table: the first allocation, so it lies in the block's first page. */
  reserveFrameTable(): void {
    if (this.used !== PAYLOAD_HEADER.size) throw new ValidationError("xen run data block", "the frame table must be its first allocation");
    this.frameTable = this.alloc(FRAME_TABLE_SLOTS * 8, 8);
  }

  /** Reserve `size` bytes for the payload to copy its start info into, named in the header. */
  reserveStartInfo(size: number): void {
    this.word(PAYLOAD_HEADER.startInfoCopy, BigInt(this.alloc(size, 8)));
  }

  /** The finished block: relocation table appended, header filled, size a whole number of pages. */
  finish(nonce: Uint8Array, frameBias: bigint, callTable: number, callCount: number): Uint8Array {
    const table = this.alloc(this.relocs.length * 8, 8);
    const pages = Math.ceil(this.used / PAGE);
    if (this.frameTable && pages > FRAME_TABLE_SLOTS) throw new ValidationError("xen run data block", `${pages} pages, the frame table holds ${FRAME_TABLE_SLOTS}`);
    this.word(PAYLOAD_HEADER.frameTable, BigInt(this.frameTable));
    this.word(PAYLOAD_HEADER.frameCount, this.frameTable ? BigInt(pages) : 0n);
    this.relocs.forEach((r, i) => this.word(table + i * 8, BigInt(r.offset) | (r.kind === "frame" ? 1n << RELOC_KIND_SHIFT : 0n)));
    this.put(PAYLOAD_HEADER.nonce, nonce);
    this.word(PAYLOAD_HEADER.frameBias, frameBias);
    this.word(PAYLOAD_HEADER.callCount, BigInt(callCount));
    this.word(PAYLOAD_HEADER.callTable, BigInt(callTable));
    this.word(PAYLOAD_HEADER.relocCount, BigInt(this.relocs.length));
    this.word(PAYLOAD_HEADER.relocTable, BigInt(table));
    return this.bytes.slice(0, Math.ceil(this.used / PAGE) * PAGE);
  }
}

/** Leaf values of a laid-out struct whose words must be relocated, by byte offset within it. */
export interface PendingRelocs {
  readonly at: number;
  readonly kind: RelocKind;
}

/** Walk `layout` with `spec`, turning special values (via `resolve`) into block offsets and recording where they sit. */
export function toCValue(
  layout: Layout,
  spec: unknown,
  resolve: (v: unknown, where: string) => { value: bigint; kind?: RelocKind } | undefined,
  where: string,
  relocs: PendingRelocs[],
  at = 0,
): CValue | undefined {
  if (spec === undefined) return undefined;
  if (layout.kind === "array" && layout.element.kind === "int" && layout.element.size === 1 && typeof spec === "string" && !/^-?(0x[0-9a-f]+|\d+)$/i.test(spec)) {
    const bytes = new TextEncoder().encode(spec);
    if (bytes.length > layout.length) throw new ValidationError(where, `${bytes.length} bytes for char[${layout.length}]`);
    return Array.from(bytes, (b) => BigInt(b));
  }
  if (layout.kind === "struct" || layout.kind === "union") {
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new ValidationError(where, `expected an object for ${layout.cName}`);
    const out: Record<string, CValue> = {};
    for (const [k, v] of Object.entries(spec)) {
      const f = layout.fields.find((x) => x.name === k);
      if (!f) throw new ValidationError(where, `${layout.cName} has no member '${k}'`);
      const c = toCValue(f.layout, v, resolve, `${where}.${k}`, relocs, at + f.offset);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  if (layout.kind === "array") {
    if (!Array.isArray(spec)) throw new ValidationError(where, `expected a list for ${layout.cName}`);
    return spec.map((v, i) => toCValue(layout.element, v, resolve, `${where}[${i}]`, relocs, at + i * layout.element.size) ?? 0n);
  }
  const r = resolve(spec, where);
  if (!r) throw new ValidationError(where, `not a value: ${JSON.stringify(spec)}`);
  if (r.kind) relocs.push({ at, kind: r.kind });
  return r.value;
}

/** An integer from a script: a number, a bigint, or a decimal / 0x-hex string (negative allowed). */
export function scriptInteger(v: unknown, where: string): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new ValidationError(where, `${v} is not a safe integer (give large values as strings)`);
    return BigInt(v);
  }
  if (typeof v === "string" && /^-?(0x[0-9a-f]+|\d+)$/i.test(v)) return v.startsWith("-") ? -BigInt(v.slice(1)) : BigInt(v);
  return undefined;
}
