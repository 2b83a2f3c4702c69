/**
 * Benchmark pair shared by the arch packages' page-table benches: building tables
 * for a mapping set versus writing the same number of bytes with a plain
 * `Uint8Array.fill` (allocation included on both sides), in the same run, so the
 * "x times faster/slower" line vitest prints is the throughput ratio.
 */
import { bench, describe } from "vitest";
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";

export function benchTableBuild(format: PageTableFormat, label: string, mappings: readonly Mapping[], tableBase: bigint): void {
  const probe = format.build(mappings, { tableBase });
  const bytes = Number(probe.tableBytes);
  const mib = (bytes / (1024 * 1024)).toFixed(2);
  describe(`${format.id}: ${label} -> ${probe.tables} tables, ${mib} MiB of table bytes per op`, () => {
    let sink = 0;
    bench(`build ${format.id} (${mib} MiB of tables)`, () => {
      sink ^= format.build(mappings, { tableBase }).segment.bytes[0]!;
    });
    bench(`Uint8Array(${bytes}).fill (same bytes)`, () => {
      sink ^= new Uint8Array(bytes).fill(0xa5)[0]!;
    });
    if (sink === -1) console.log(sink);
  });
}
