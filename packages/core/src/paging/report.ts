import type { Segment } from "../image.js";
import type { PageTableBuild, PageTableFormat } from "./types.js";

/** JSON-friendly summary of a page-table build, as `handoff plan --json` reports it (bigints stay bigint). */
export interface PageTableReport {
  readonly format: string;
  readonly description: string | undefined;
  readonly root: bigint;
  readonly tableBase: bigint;
  /** Counts are plain numbers (they stay far below 2^53) so JSON shows them as numbers, not hex. */
  readonly tables: number;
  readonly tablesPerLevel: readonly number[];
  readonly tablePages: number;
  readonly tableBytes: number;
  readonly registers: Readonly<Record<string, bigint>>;
  readonly leaves: readonly { readonly pageSize: bigint; readonly count: number }[];
  readonly mappings: readonly {
    readonly va: bigint;
    readonly pa: bigint;
    readonly size: bigint;
    readonly writable: boolean;
    readonly executable: boolean;
    readonly user: boolean;
    readonly memoryType: string;
  }[];
  readonly notes: readonly string[];
}

/** The report object for a build (root, table pages, mappings, register values). */
export function pageTableReport(build: PageTableBuild, format?: PageTableFormat): PageTableReport {
  return {
    format: build.format,
    description: format?.description,
    root: build.root,
    tableBase: build.segment.pa,
    tables: Number(build.tables),
    tablesPerLevel: build.tablesPerLevel.map(Number),
    tablePages: Number(build.tablePages),
    tableBytes: Number(build.tableBytes),
    registers: build.registers,
    leaves: build.leaves.map((l) => ({ pageSize: l.pageSize, count: Number(l.count) })),
    mappings: build.mappings.map((m) => ({
      va: m.va,
      pa: m.pa,
      size: m.size,
      writable: m.attributes.writable,
      executable: m.attributes.executable,
      user: m.attributes.user === true,
      memoryType: m.attributes.memoryType,
    })),
    notes: build.notes,
  };
}

/** The build's tables as a hand-off segment (role `page-tables`), ready to join the image's segment list. */
export function pageTableSegment(build: PageTableBuild): Segment {
  return {
    data: { kind: "bytes", bytes: build.segment.bytes },
    bufsz: BigInt(build.segment.bytes.length),
    mem: build.segment.pa,
    memsz: BigInt(build.segment.bytes.length),
    role: "page-tables",
    name: `${build.format} tables`,
  };
}
