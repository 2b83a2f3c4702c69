/**
 * Scaling cases for `npm run bench` (issue 10: "planning scaling (segments and
 * pages from 1 to 1e6), page-table building, indirection-list building").
 * Every case runs in-process on built packages (dist), once per count, and the
 * report shows time per unit and whether time grows linearly with the count.
 *
 * A case: { id, title, unit, counts, setup?(ctx) -> state, run(count, state, ctx) -> Promise|void }.
 * A case with `pending` instead of `run` is listed in docs/performance.md as
 * not yet measured, with that reason.
 *
 * `x86_64` is the built @handoff/x86_64 package (its page-table format).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PAGE = 4096;
const DECADES = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

export function scalingCases(core, x86_64) {
  const { digestSegments, writeFileAtomic, buildIndirectionList, planLoad, MemoryMap } = core;
  const zeroSegment = (pages) => ({ data: { kind: "zero" }, bufsz: 0n, mem: 0n, memsz: BigInt(pages * PAGE), role: "other" });
  return [
    {
      id: "digest-zero-pages",
      title: "SHA-256 of one segment of N zero pages (memsz tail, no I/O)",
      unit: "page",
      counts: DECADES,
      run: (count) => digestSegments([zeroSegment(count)]),
    },
    {
      id: "digest-file-pages",
      title: "SHA-256 of N pages streamed from the 512 MiB initrd (page cache warm)",
      unit: "page",
      counts: [1, 10, 100, 1_000, 10_000, 131_072],
      run: (count, _s, ctx) =>
        digestSegments([{ data: { kind: "file", path: ctx.initrd512, offset: 0, length: count * PAGE }, bufsz: BigInt(count * PAGE), mem: 0n, memsz: BigInt(count * PAGE), role: "initrd" }]),
    },
    {
      id: "digest-segments",
      title: "SHA-256 of N one-page segments (per-segment overhead)",
      unit: "segment",
      counts: [1, 10, 100, 1_000, 10_000, 100_000],
      setup: () => {
        const page = new Uint8Array(PAGE).fill(0xa5);
        return (count) => Array.from({ length: count }, (_, i) => ({ data: { kind: "bytes", bytes: page }, bufsz: BigInt(PAGE), mem: BigInt(i * PAGE), memsz: BigInt(PAGE), role: "other" }));
      },
      run: (count, make) => digestSegments(make(count)),
    },
    {
      id: "peer-in-memory-sha256",
      title: "peer: node:crypto SHA-256 of N pages already in one in-memory buffer (no I/O; hashing one large buffer, not cache-sized chunks)",
      unit: "page",
      counts: [1, 10, 100, 1_000, 10_000, 100_000],
      setup: () => Buffer.alloc(100_000 * PAGE, 0x5a),
      run: (count, buf) => {
        createHash("sha256").update(buf.subarray(0, count * PAGE)).digest();
      },
    },
    {
      id: "atomic-write-file-pages",
      title: "writeFileAtomic of N pages streamed from the initrd (temp + fsync + rename)",
      unit: "page",
      counts: [1, 10, 100, 1_000, 10_000, 32_768],
      setup: () => mkdtempSync(join(tmpdir(), "handoff-bench-write-")),
      teardown: (dir) => rmSync(dir, { recursive: true, force: true }),
      run: (count, dir, ctx) => writeFileAtomic(join(dir, "artefact"), [{ kind: "file", path: ctx.initrd512, offset: 0, length: count * PAGE }]),
    },
    {
      id: "indirection-list",
      title: "indirection-list building for one segment of N pages (builder-chosen staging, 8-byte entries)",
      unit: "page",
      counts: DECADES,
      run: (count) =>
        buildIndirectionList([{ mem: 0x100000n, memsz: BigInt(count * PAGE), bufsz: BigInt(count * PAGE), label: "bench" }], {
          pageSize: BigInt(PAGE),
          wordBytes: 8,
          endianness: "little",
          free: [{ start: 1n << 40n, end: (1n << 40n) + BigInt(count * PAGE) * 2n + (64n << 20n) }],
        }),
    },
    {
      id: "page-tables",
      title: "x86_64 4-level tables for N mapped 4 KiB pages (VA and PA 4 KiB apart modulo 2 MiB, so no large page fits)",
      unit: "page",
      counts: DECADES,
      run: (count) =>
        x86_64.X86_64_4LEVEL.build([{ va: 0x4000_0000n, pa: 0x4000_1000n, size: BigInt(count * PAGE), attributes: { writable: true, executable: false, memoryType: "normal" } }], {
          tableBase: 1n << 40n,
          maxTableBytes: 1n << 34n,
        }),
    },
    {
      id: "plan",
      title: "whole plan (planLoad: placement, validation, indirection list) of a zero-filled image segment of N pages",
      unit: "page",
      counts: DECADES,
      run: (count) => {
        const bytes = BigInt(count * PAGE);
        const image = { format: "bench", arch: "x86_64", entry: { phys: 0x100000n }, segments: [{ data: { kind: "zero" }, bufsz: 0n, mem: 0x100000n, memsz: bytes, role: "kernel" }], metadata: {}, source: { path: "bench", size: 0 } };
        const memoryMap = MemoryMap.of([{ start: 0x1000n, size: bytes * 3n + (256n << 20n), type: "ram" }]);
        return planLoad({ arch: { id: "x86_64", pageSize: BigInt(PAGE), wordBits: 64, endianness: ["little"], elfMachine: 62 }, image, memoryMap });
      },
    },
  ];
}
