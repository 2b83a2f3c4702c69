import { buildRadixTables, type RadixFormatSpec } from "./radix-builder.js";
import type { Mapping, PageTableBuild, PageTableBuildOptions, PageTableFormat, PhysicalMemory, TranslationRegisters, WalkResult } from "./types.js";

/** How an architecture's MMU translates: its own walker, kept apart from the builder so one checks the other. */
export type PageTableWalker = (memory: PhysicalMemory, registers: TranslationRegisters, va: bigint) => WalkResult;

/** Names page and block sizes for descriptions: `4 KiB / 2 MiB / 1 GiB`. */
export function describeSizes(sizes: readonly bigint[]): string {
  return sizes.map((s) => (s >= 1n << 30n ? `${s >> 30n} GiB` : s >= 1n << 20n ? `${s >> 20n} MiB` : `${s >> 10n} KiB`)).join(" / ");
}

/**
 * A {@link PageTableFormat} from a radix spec (built by core's
 * `buildRadixTables`) and the arch's walker: the part every radix format
 * shares, so an arch only states its descriptor bits and registers.
 */
export function radixPageTableFormat(spec: RadixFormatSpec, description: string, walk: PageTableWalker): PageTableFormat {
  const pageSizes = spec.geometry.levels.flatMap((l) => l.leafSizes).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    id: spec.id,
    description,
    vaBits: spec.geometry.vaBits,
    pageSizes,
    geometry: spec.geometry,
    capabilities: { noExecute: spec.noExecute, physicalAddressBits: spec.physicalAddressBits },
    build: (mappings: readonly Mapping[], options: PageTableBuildOptions): PageTableBuild => buildRadixTables(spec, mappings, options),
    walk,
  };
}
