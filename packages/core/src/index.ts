export {
  HandoffError,
  FormatError,
  UnknownRegisterError,
  RegisterWidthError,
  UnknownRegisterValueError,
  PluginError,
  UnknownArchitectureError,
  ValidationError,
  type HandoffErrorOptions,
} from "./errors.js";
export {
  U64_LIMIT,
  maskOf,
  fitsUnsigned,
  fitsSigned,
  toBits,
  fromBitsSigned,
  checkedAdd64,
  isAligned,
  alignUp,
  alignDown,
  hex,
} from "./bits.js";
export {
  RegisterFile,
  registerRange,
  type RegisterSpec,
  type RegisterKind,
  type RegisterAlias,
  type AliasWriteEffect,
  type NarrowMode,
} from "./registers.js";
export { HandoffState, type Provenance, type RegisterAssignment } from "./handoff-state.js";
export { segmentBufferLength, type Image, type Segment, type SegmentData, type SegmentRole, type EntryPoint } from "./image.js";
export { DEFAULT_PARSE_LIMITS, type ImageFormat, type ImageInput, type ParseLimits } from "./image-format.js";
export { MemoryMap, type MemoryRange, type MemoryType } from "./memory-map.js";
export type { Hypercall, HypercallAbi, HypercallArgument, HypercallInstruction } from "./hypercall.js";
export {
  ARCHITECTURE,
  isArchitecturePlugin,
  type Architecture,
  type ArchitecturePlugin,
  type PageTableFormat,
  type BootProtocolInfo,
  type RelocationInfo,
} from "./architecture.js";
export { ArchitectureRegistry } from "./registry.js";
export {
  DEFAULT_MAX_TABLE_BYTES,
  PlacedMemory,
  buildRadixTables,
  normaliseMappings,
  mappingsForPolicy,
  regionsFromSegments,
  addIdentityRegion,
  planPageTables,
  DEFAULT_POLICY_KIND,
  pageTableReport,
  pageTableSegment,
  verifyPageTableBuild,
  type MemoryKind,
  type MappingAttributes,
  type Mapping,
  type PhysicalMemory,
  type TranslationRegisters,
  type WalkAttributes,
  type WalkFaultKind,
  type WalkResult,
  type LevelGeometry,
  type PageTableGeometry,
  type PageTableCapabilities,
  type PageTableBuildOptions,
  type PlacedBytes,
  type LeafCount,
  type PageTableBuild,
  type RadixFormatSpec,
  type HandoffRegion,
  type MappingPolicy,
  type PlannedPageTables,
  type PageTableReport,
  type TranslationMismatch,
  type VerifyOptions,
} from "./page-tables/index.js";
