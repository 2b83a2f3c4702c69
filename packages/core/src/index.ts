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
export {
  KEXEC_ON_CRASH,
  KEXEC_PRESERVE_CONTEXT,
  KEXEC_ARCH_MASK,
  KEXEC_ARCH_DEFAULT,
  KEXEC_ARCH_386,
  KEXEC_ARCH_ARM,
  KEXEC_ARCH_X86_64,
  KEXEC_ARCH_AARCH64,
  XEN_KEXEC_SEGMENT_SIZE,
  XEN_KEXEC_LOAD_SIZE,
  KEXEC_CMD_KEXEC_LOAD,
  XEN_KEXEC_TYPE_DEFAULT,
  XEN_KEXEC_TYPE_CRASH,
  linuxKexecSegmentSize,
  linuxKexecFlags,
  encodeLinuxKexecSegments,
  decodeLinuxKexecSegments,
  encodeXenKexecSegments,
  encodeXenKexecLoad,
  type KexecSegmentEntry,
  type WordLayout,
  type XenLayout,
} from "./kexec-segments.js";
export { rawImageFormat, type RawImageOptions } from "./raw-image.js";
export { planLoad, describeSegmentData, type LoadPlan, type LoadPlanInput, type PlannedSegment, type FileBlob } from "./load-plan.js";
export { NewcArchive, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, type CpioEntry } from "./initramfs/cpio-newc.js";
export { markerInitramfs, MARKER_INIT, MARKER_PARAM, MARKER_PREFIX } from "./initramfs/marker-initramfs.js";
export { BoundedReader, peekU32le, peekU32be } from "./bounded-reader.js";
export {
  DeviceTree,
  FdtNode,
  FdtProperty,
  FdtValue,
  DEFAULT_ADDRESS_CELLS,
  DEFAULT_SIZE_CELLS,
  parseFdt,
  encodeFdt,
  fdtMemoryRanges,
  fdtMemoryMap,
  setChosen,
  machineDeviceTree,
  FDT_HEADER,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_VERSION,
  FDT_LAST_COMP_VERSION,
  FdtToken,
  DEFAULT_FDT_LIMITS,
  type FdtOrigin,
  type FdtReservation,
  type FdtHeader,
  type FdtLimits,
  type ChosenSettings,
  type MachineDescription,
} from "./fdt/index.js";
