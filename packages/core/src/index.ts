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
export { SparseMemory, executeIndirectionList, type InterpreterOptions, type ExecutionResult } from "./indirection-interpreter.js";
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
export { ByteReader } from "./elf/byte-reader.js";
export {
  ELF_MAGIC,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ET_NONE,
  ET_REL,
  ET_EXEC,
  ET_DYN,
  ET_CORE,
  EM_386,
  EM_ARM,
  EM_X86_64,
  EM_AARCH64,
  PN_XNUM,
  hasElfMagic,
  elfTypeName,
  readElfHeader,
  type ElfClass,
  type ElfHeader,
  type Endianness,
} from "./elf/elf-header.js";
export * as elfLayout from "./elf/layout.js";
export {
  PT_NULL,
  PT_LOAD,
  PT_DYNAMIC,
  PT_INTERP,
  PT_NOTE,
  PT_PHDR,
  PT_TLS,
  PT_GNU_STACK,
  PF_X,
  PF_W,
  PF_R,
  programHeaderTypeName,
  segmentFlagsString,
  programHeaderFieldOffset,
  type ProgramHeader,
} from "./elf/program-headers.js";
export {
  SHT_NULL,
  SHT_PROGBITS,
  SHT_SYMTAB,
  SHT_STRTAB,
  SHT_RELA,
  SHT_NOTE,
  SHT_NOBITS,
  SHT_REL,
  SHT_GROUP,
  SHF_WRITE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_MERGE,
  SHF_STRINGS,
  SHF_INFO_LINK,
  SHN_UNDEF,
  SHN_LORESERVE,
  SHN_ABS,
  SHN_COMMON,
  SHN_XINDEX,
  sectionTypeName,
  sectionFieldOffset,
  StringTable,
  type SectionHeader,
} from "./elf/sections.js";
export {
  STB_LOCAL,
  STB_GLOBAL,
  STB_WEAK,
  STT_NOTYPE,
  STT_OBJECT,
  STT_FUNC,
  STT_SECTION,
  STT_FILE,
  STT_COMMON,
  type ElfSymbol,
} from "./elf/symbols.js";
export type { ElfRelocation, RelocationSection } from "./elf/relocations.js";
export { readNotes, type ElfNote, type NoteBudget } from "./elf/notes.js";
export * as xenNote from "./elf/xen-notes.js";
export { decodeXenNotes, xenNoteTypeName, type XenNote, type XenNotes, type Phys32Reloc } from "./elf/xen-notes.js";
export { archIdOfElfMachine, elfMachineName, assertElfRunnableBy } from "./elf/machines.js";
export { ElfFile } from "./elf/elf-file.js";
export { ElfImageFormat, ELF_IMAGE_FORMAT, type ElfImageOptions, type EntrySource } from "./elf/elf-image-format.js";
export {
  RelocationValueError,
  checkRange,
  checkSignedBits,
  checkUnsignedBits,
  checkBitfield,
  checkAlignment,
  readField,
  writeField,
  signExtend,
  type Relocator,
  type RelocationSite,
} from "./link/relocator.js";
export { RelocationError, LinkError, type RelocationLocation } from "./link/link-errors.js";
export { linkObject, type LinkOptions, type LinkedObject, type PlacedSection, type SectionGroup } from "./link/linker.js";
export { StubImage, type StubCode } from "./stub-code.js";
export {
  layoutFlatPayload,
  HANDOFF_ARTEFACT_BUILDER,
  type FlatPayloadLayout,
  type FlatPayloadLayoutOptions,
  type PlacedBytes,
  type HandoffArtefact,
  type HandoffArtefactBuilder,
  type ArtefactRequest,
  type NativeProbe,
  type QemuLaunch,
} from "./handoff-artefact.js";
export {
  DEFAULT_MAX_TABLE_BYTES,
  PlacedMemory,
  buildRadixTables,
  normaliseMappings,
  type NormalisedMapping,
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
  type PhysicalBytes,
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
export { layoutInPlaceList, LINUX_BOOT_BUILDER, type InPlaceList, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine } from "./linux-boot.js";
export {
  digestSegments,
  DEFAULT_DIGEST_CHUNK,
  type SegmentDigest,
  type SegmentDigests,
  type PurgatoryRegion,
  type DigestOptions,
} from "./segment-digest.js";
export {
  writeFileAtomic,
  segmentPieces,
  type WritePiece,
  type WriteSource,
  type AtomicWriteOptions,
  type AtomicWriteResult,
} from "./atomic-write.js";
export * from "./compression/index.js";
export * from "./containers/index.js";
export * from "./multiboot/index.js";
export { requireStaticExecutable } from "./initramfs/static-executable.js";
export { defineArchitecture, type ArchitectureDefinition, type DefinedArchitecture } from "./compose/define-architecture.js";
export {
  BOOT_PROTOCOL,
  IMAGE_FORMAT,
  PAGE_TABLE_FORMAT,
  RELOCATOR,
  HYPERCALL_ABI,
  QEMU_RUNNER,
  KEXEC_BACKEND,
  type BootProtocol,
  type ImageFormatContribution,
  type PageTableFormatContribution,
  type RelocatorContribution,
  type QemuRunner,
  type QemuBootRequest,
  type QemuProbeRequest,
  type QemuProbeOutcome,
  type KexecBackend,
} from "./compose/tokens.js";
export { composeArchitecture, protocolsFor, type Contributions } from "./compose/views.js";
export { ContributionSet, ArchitectureCatalog, BuilderLookup, ImageLoader, ArtefactService, BootService, NoBuilderError } from "./compose/services.js";
export { radixPageTableFormat, describeSizes, type PageTableWalker } from "./page-tables/index.js";
export { defineRelocator, type RelocationType, type RelocatorDefinition } from "./link/define-relocator.js";
