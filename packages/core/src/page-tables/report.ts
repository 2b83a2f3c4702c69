import type { PageTableBuild, PageTableFormat } from "./types.js";

/** JSON-friendly summary of a page-table build, as `handoff plan --json` reports it (bigints stay bigint). */
export interface PageTableReport {
  readonly format: string;
  readonly description: string | undefined;
  readonly root: bigint;
  readonly tableBase: bigint;
  readonly tables: bigint;
  readonly tablesPerLevel: readonly bigint[];
  readonly tablePages: bigint;
  readonly tableBytes: bigint;
  readonly registers: Readonly<Record<string, bigint>>;
  readonly leaves: readonly { readonly pageSize: bigint; readonly count: bigint }[];
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
    tables: build.tables,
    tablesPerLevel: build.tablesPerLevel,
    tablePages: build.tablePages,
    tableBytes: build.tableBytes,
    registers: build.registers,
    leaves: build.leaves,
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
