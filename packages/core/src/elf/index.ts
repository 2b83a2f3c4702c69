/**
 * @handoff/core/elf: ELF parsing under configured limits (headers, program and
 * section headers, symbols, relocations, notes read generically) and the ELF image format,
 * which takes note decoders (a hypervisor's, a boot protocol's) from the packages that own them.
 * @packageDocumentation
 */
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
  PN_XNUM,
  hasElfMagic,
  elfTypeName,
  readElfHeader,
  type ElfClass,
  type ElfHeader,
  type Endianness,
} from "./elf-header.js";
export * as elfLayout from "./layout.js";
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
} from "./program-headers.js";
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
} from "./sections.js";
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
} from "./symbols.js";
export type { ElfRelocation, RelocationSection } from "./relocations.js";
export { readNotes, type ElfNote, type NoteBudget, type ElfNoteDecoder, type DecodedNotes, type NoteEntry } from "./notes.js";
export { assertElfRunnableBy } from "./machines.js";
export { ElfFile } from "./elf-file.js";
export { ElfImageFormat, ELF_IMAGE_FORMAT, type ElfImageOptions, type EntrySource } from "./elf-image-format.js";
