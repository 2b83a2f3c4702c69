/**
 * @handoff/core: the contracts every package shares (architectures, images,
 * segments, register files, hand-off states, page-table formats, hypercall
 * ABIs, typed errors, bit arithmetic). Machinery lives behind the subpath
 * exports: /kexec, /paging, /elf, /fdt, /cpio, /link, /c-abi, /svg; dependency
 * injection (tokens, defineArchitecture, services) behind /compose, so the root
 * loads no tsyringe and needs no reflect-metadata.
 * @packageDocumentation
 */
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
export { DEFAULT_PARSE_LIMITS, type CompressedStreamLocation, type ImageFormat, type ImageInput, type ParseLimits } from "./image-format.js";
export {
  ARCHITECTURE,
  isArchitecturePlugin,
  type Architecture,
  type ArchitecturePlugin,
  type PageTableFormat,
  type BootProtocolInfo,
  type RelocationInfo,
} from "./architecture.js";
export {
  namesMachine,
  architectureOfMachine,
  describeMachineTag,
  elfMachineName,
  resolveImageArchitecture,
  imageArchitectureMismatch,
  type MachineNames,
  type MachineTag,
  type MachineIdentity,
  type KexecSyscalls,
} from "./machine.js";
export { ByteReader, MAX_STRING_LENGTH, latin1, peekU32le, peekU32be } from "./byte-reader.js";
export { hasMzSignature, checkEfiStubPeHeader } from "./efi-stub.js";
export {
  MemoryMap,
  subtractRange,
  mergeRanges,
  type MemoryRange,
  type MemoryType,
  type AddressRange,
  type FdtRegRange,
  type MachineMemoryLayout,
  type FixedRegion,
  type RamSplit,
} from "./memory-map.js";
export {
  HypercallArgumentError,
  argumentBits,
  type Hypercall,
  type HypercallAbi,
  type HypercallArgument,
  type HypercallInstruction,
  type HypercallConvention,
  type HypercallPage,
  type HypercallValue,
  type GuestBuffer,
  type EncodedHypercall,
  type DecodedArgument,
  type DecodedHypercall,
} from "./hypercall-abi.js";
export {
  HANDOFF_ARTEFACT_BUILDER,
  checkArtefactRequest,
  spinProbePayload,
  type HandoffArtefact,
  type HandoffArtefactBuilder,
  type ArtefactRequest,
  type NativeProbe,
  type QemuLaunch,
} from "./handoff-artefact.js";
export { LINUX_BOOT_BUILDER, LINUX_KEXEC_SEED_BYTES, machineWithMemory, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine, type LinuxKexecRequest, type LinuxKexecPlan, type LinuxCrashKexecRequest } from "./linux-boot.js";
// Compressed kernels, boot containers and multiboot (helper "codecs"): at the root until they get subpaths of their own.
export * from "./compression/index.js";
export * from "./containers/index.js";
export * from "./multiboot/index.js";
