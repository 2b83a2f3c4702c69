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
export { segmentBufferLength, rebaseImage, type ImagePlacement, type Image, type Segment, type SegmentData, type SegmentRole, type EntryPoint } from "./image.js";
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
export {
  C,
  CTypeEnvironment,
  CTypeError,
  FieldValueError,
  readCValue,
  writeCValue,
  encodeCValue,
  emitCDeclarations,
  layoutProbes,
  validateDataModel,
  type CDataModel,
  type CBasicType,
  type CIntName,
  type CType,
  type CField,
  type CValue,
  type Layout,
  type FieldLayout,
  type SizeAlign,
} from "./c-layout.js";
export {
  RegisterHypercallAbi,
  HypercallArgumentError,
  argumentBits,
  clobberedBy,
  encodeHvcA64,
  encodeHvcA32,
  encodeHvcT32,
  hypercallPageStub,
  type HypercallConvention,
  type HypercallPage,
  type HypercallValue,
  type GuestBuffer,
  type EncodedHypercall,
  type DecodedArgument,
  type DecodedHypercall,
} from "./hypercall.js";
