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
export { StubImage, type StubCode } from "./stub-code.js";
export {
  layoutFlatPayload,
  HANDOFF_ARTEFACT_BUILDER,
  IND_DESTINATION,
  IND_INDIRECTION,
  IND_DONE,
  IND_SOURCE,
  IND_ZERO,
  type FlatPayloadLayout,
  type FlatPayloadLayoutOptions,
  type PlacedBytes,
  type HandoffArtefact,
  type HandoffArtefactBuilder,
  type ArtefactRequest,
  type NativeProbe,
  type QemuLaunch,
} from "./handoff-artefact.js";
export { layoutInPlaceList, LINUX_BOOT_BUILDER, type InPlaceList, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine } from "./linux-boot.js";
