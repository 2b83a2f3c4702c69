/**
 * @handoff/core/paging: page tables as data — radix builders over a format spec,
 * mapping policies (segments, first N GiB, all RAM), reports and a walker that verifies a build.
 * @packageDocumentation
 */
export type {
  MemoryKind,
  MappingAttributes,
  Mapping,
  PhysicalMemory,
  TranslationRegisters,
  WalkAttributes,
  WalkFaultKind,
  WalkResult,
  LevelGeometry,
  PageTableGeometry,
  PageTableCapabilities,
  PageTableBuildOptions,
  PhysicalBytes,
  LeafCount,
  PageTableBuild,
  PageTableFormat,
} from "./types.js";
export { DEFAULT_MAX_TABLE_BYTES } from "./types.js";
export { PlacedMemory, readTableEntry } from "./memory.js";
export { buildRadixTables, normaliseMappings, type RadixFormatSpec, type NormalisedMapping } from "./radix-builder.js";
export { radixPageTableFormat, describeSizes, type PageTableWalker } from "./radix-format.js";
export {
  mappingsForPolicy,
  regionsFromSegments,
  addIdentityRegion,
  planPageTables,
  DEFAULT_POLICY_KIND,
  type HandoffRegion,
  type MappingPolicy,
  type PlannedPageTables,
} from "./policies.js";
export { pageTableReport, pageTableSegment, type PageTableReport } from "./report.js";
export { verifyPageTableBuild, type TranslationMismatch, type VerifyOptions } from "./verify.js";
