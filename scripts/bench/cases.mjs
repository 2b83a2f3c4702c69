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
 * HOOKS FOR THE LEAD: the two `pending` cases below are where the planner's
 * IndirectionList builder (branch `segments`) and the page-table builder
 * (branch `pagetables`) plug in after merging: replace `pending` with a `run`
 * that builds a list / tables for `count` pages, e.g.
 *   run: (count) => { IndirectionList.build(segmentsOfPages(count)) }
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PAGE = 4096;
const DECADES = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

export function scalingCases(core) {
  const { digestSegments, writeFileAtomic } = core;
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
      title: "indirection-list building for N pages",
      unit: "page",
      counts: DECADES,
      pending: "hook: the IndirectionList builder is on branch `segments`; the lead wires it here after merging",
    },
    {
      id: "page-tables",
      title: "page-table building for N mapped pages",
      unit: "page",
      counts: DECADES,
      pending: "hook: the page-table builder is on branch `pagetables`; the lead wires it here after merging",
    },
    {
      id: "plan",
      title: "whole `handoff plan` for N segments / pages",
      unit: "page",
      counts: DECADES,
      pending: "hook: `handoff plan` (branch `segments`); the lead wires it here after merging",
    },
  ];
}
