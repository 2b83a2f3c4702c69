import { tempDir } from "./temp.js";
/**
 * Test helper: a tiny kexec indirection-list builder and probe layout, written
 * against the list FORMAT (entry = page-aligned phys | flag) so the stubs are
 * exercised independently of the project's planner.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { writePvhElf } from "@handoff/x86";

export const PAGE = 4096;
export const DESTINATION = 0x1n;
export const INDIRECTION = 0x2n;
export const DONE = 0x4n;
export const SOURCE = 0x8n;
export const ZERO = 0x10n;

/** A destination page: copied from a source page (in place: the source page is its own destination), or zero-filled. */
export type ProbePage = { readonly kind: "copy"; readonly bytes: Uint8Array; readonly inPlace?: boolean } | { readonly kind: "zero" };

export interface ProbeSegment {
  readonly dest: bigint;
  readonly pages: readonly ProbePage[];
}

export interface ProbeLayout {
  readonly word: 4 | 8;
  readonly segments: readonly ProbeSegment[];
  /** Staging for sources that are no one's destination. */
  readonly stagingBase: bigint;
  /** List pages (consecutive). */
  readonly listBase: bigint;
  /** Entries per list page before chaining to the next (small, so INDIRECTION is exercised). */
  readonly entriesPerPage?: number;
}

export interface Blob {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
  readonly what: string;
}

export interface ProbePlan {
  readonly head: bigint;
  readonly maxSteps: bigint;
  /** What must be in memory before the stub runs (staging, in-place pages, junk over destinations, list pages). */
  readonly blobs: readonly Blob[];
  /** What each segment's destination must hold afterwards. */
  readonly expected: readonly { readonly dest: bigint; readonly bytes: Uint8Array }[];
}

/** Deterministic bytes (xorshift32), so a failing compare is reproducible. */
export function pattern(seed: number, length = PAGE): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A page starting with `code` (the probe's spin instruction) and patterned after it. */
export function codePage(code: Uint8Array, seed: number): Uint8Array {
  const page = pattern(seed);
  page.set(code, 0);
  return page;
}

export function planProbe(layout: ProbeLayout): ProbePlan {
  const blobs: Blob[] = [];
  const entries: bigint[] = [];
  const staging: Uint8Array[] = [];
  const expected: { dest: bigint; bytes: Uint8Array }[] = [];
  for (const [s, seg] of layout.segments.entries()) {
    entries.push(seg.dest | DESTINATION);
    const want = new Uint8Array(seg.pages.length * PAGE);
    for (const [i, page] of seg.pages.entries()) {
      const dest = seg.dest + BigInt(i * PAGE);
      if (page.kind === "zero") {
        entries.push(ZERO);
        // Junk under a zero page proves the zero-fill ran.
        blobs.push({ addr: dest, bytes: new Uint8Array(PAGE).fill(0xa5), what: `junk under zero page ${s}.${i}` });
        continue;
      }
      want.set(page.bytes, i * PAGE);
      if (page.inPlace) {
        entries.push(dest | SOURCE);
        blobs.push({ addr: dest, bytes: page.bytes, what: `in-place source ${s}.${i}` });
      } else {
        const src = layout.stagingBase + BigInt(staging.length * PAGE);
        staging.push(page.bytes);
        entries.push(src | SOURCE);
        blobs.push({ addr: dest, bytes: pattern(0xdead + s * 64 + i), what: `junk under copied page ${s}.${i}` });
      }
    }
    expected.push({ dest: seg.dest, bytes: want });
  }
  entries.push(DONE);
  const stagingBytes = new Uint8Array(staging.length * PAGE);
  staging.forEach((p, i) => stagingBytes.set(p, i * PAGE));
  if (staging.length) blobs.push({ addr: layout.stagingBase, bytes: stagingBytes, what: "staging" });

  // Lay the entries out over list pages, each ending in an INDIRECTION to the next.
  const per = layout.entriesPerPage ?? 5;
  const pages: bigint[][] = [];
  for (let i = 0; i < entries.length; i += per) pages.push(entries.slice(i, i + per));
  const listBytes = new Uint8Array(pages.length * PAGE);
  const view = new DataView(listBytes.buffer);
  pages.forEach((list, p) => {
    const words = p + 1 < pages.length ? [...list, (layout.listBase + BigInt((p + 1) * PAGE)) | INDIRECTION] : list;
    words.forEach((w, i) => {
      const at = p * PAGE + i * layout.word;
      if (layout.word === 8) view.setBigUint64(at, w, true);
      else view.setUint32(at, Number(w), true);
    });
  });
  blobs.push({ addr: layout.listBase, bytes: listBytes, what: "indirection list" });
  return { head: layout.listBase | INDIRECTION, maxSteps: BigInt(entries.length + pages.length + 1), blobs, expected };
}

/** Write blobs to files for QEMU's generic loader. */
export function blobFiles(blobs: readonly Blob[]): { file: string; addr: bigint }[] {
  const dir = tempDir("handoff-probe-");
  return blobs.map((b, i) => {
    const file = join(dir, `blob${i}-${b.addr.toString(16)}.bin`);
    writeFileSync(file, b.bytes);
    return { file, addr: b.addr };
  });
}

/** The standard probe: two segments, copied and zero pages, one in-place source, a chained list. */
export function standardSegments(destA: bigint, destB: bigint, spin: Uint8Array): ProbeSegment[] {
  return [
    {
      dest: destA,
      pages: [
        { kind: "copy", bytes: codePage(spin, 1) },
        { kind: "copy", bytes: pattern(2) },
        { kind: "zero" },
        { kind: "copy", bytes: pattern(4), inPlace: true },
        { kind: "copy", bytes: pattern(5) },
      ],
    },
    { dest: destB, pages: [{ kind: "copy", bytes: pattern(6), inPlace: true }, { kind: "zero" }, { kind: "copy", bytes: pattern(8) }] },
  ];
}

/** Guest memory a probe test reads back after the stub ran (a running @handoff/qemu machine). */
export interface GuestMemory {
  readMemory(addr: bigint, size: number): Promise<Uint8Array>;
}

/** Every segment of `plan` sits at its destination byte for byte: the stub's list walk copied and zeroed what it should. */
export async function expectSegmentsPlaced(memory: GuestMemory, plan: ProbePlan): Promise<void> {
  for (const seg of plan.expected) {
    const got = await memory.readMemory(seg.dest, seg.bytes.length);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(seg.bytes)), `segment at 0x${seg.dest.toString(16)}`).toBe(0);
  }
}

/**
 * x86: the TSS descriptor at `gdtBase + selector` has type 0xB (busy 32/64-bit
 * TSS, SDM Vol. 3A §8.2.2): LTR ran and marked it busy in memory.
 */
export async function expectTssBusy(memory: GuestMemory, gdtBase: bigint, selector: number): Promise<void> {
  const descriptor = await memory.readMemory(gdtBase + BigInt(selector), 8);
  expect(descriptor[5]! & 0x0f, "TSS descriptor type").toBe(0xb);
}

/** One PT_LOAD of a probe ELF: bytes QEMU's loader places at `paddr`. */
export interface ProbeLoad {
  readonly paddr: bigint;
  readonly bytes: Uint8Array;
}

/** The plan's blobs (staging, in-place pages, junk, list pages) as ELF loads. */
export function planLoads(plan: ProbePlan): ProbeLoad[] {
  return plan.blobs.map((b) => ({ paddr: b.addr, bytes: b.bytes }));
}

/**
 * An x86 probe image: a PVH ELF (QEMU's `-kernel` enters it at `entry32` in
 * 32-bit protected mode, paging off) holding `loads`, written to a temp file
 * whose path is returned.
 */
export function pvhProbeFile(elfClass: 32 | 64, entry32: bigint, loads: readonly ProbeLoad[]): string {
  const file = join(tempDir("handoff-pvh-"), `probe${elfClass}.elf`);
  writeFileSync(file, writePvhElf({ elfClass, entry32, loads: [...loads] }));
  return file;
}
