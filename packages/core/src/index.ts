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
export { PC_MEMORY_LAYOUT, ARM_VIRT_MEMORY_LAYOUT, type MachineMemoryLayout, type FixedRegion, type RamSplit } from "./memory-layout.js";
export { subtractRange, mergeRanges, type AddressRange, type FdtRegRange } from "./memory-map.js";
export {
  SegmentSet,
  SegmentSetError,
  linuxKexecRules,
  xenKexecRules,
  describeSegment,
  type SegmentRules,
  type SegmentRule,
} from "./segment-set.js";
export { Placer, PlacementError, type PlacementRequest } from "./placement.js";
export {
  IND_DESTINATION,
  IND_INDIRECTION,
  IND_DONE,
  IND_SOURCE,
  IND_ZERO,
  IndirectionListError,
  buildIndirectionList,
  entryKind,
  readListWord,
  type ListEncoding,
  type RelocationSegment,
  type IndirectionBuildOptions,
  type IndirectionPlan,
  type ListPage,
  type SwapPage,
} from "./indirection-list.js";
export { PhysicalMemory, executeIndirectionList, type InterpreterOptions, type ExecutionResult } from "./indirection-interpreter.js";
