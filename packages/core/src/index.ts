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
