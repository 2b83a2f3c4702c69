/**
 * ELF struct layouts as tables of `[offset, width]`, one per class. Offsets are
 * from the System V ABI "Object Files" chapter (ELF header, program header,
 * section header, symbol table entry, relocation entries); each table is checked
 * against the struct size it must add up to when this module loads.
 */

/** `[byte offset, width in bytes]` of one field. */
export type Field = readonly [offset: number, width: 1 | 2 | 4 | 8];
/** A layout table: one {@link Field} per struct field name. */
export type Layout<K extends string> = { readonly [P in K]: Field };

/** Throws at load time when a layout table does not add up to its struct size. */
export function assertLayoutSize(name: string, layout: Readonly<Record<string, Field>>, size: number): number {
  const fields = Object.values(layout).sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [offset, width] of fields) {
    if (offset !== end) throw new Error(`${name}: field at ${offset} does not follow the previous one (ends at ${end})`);
    end = offset + width;
  }
  if (end !== size) throw new Error(`${name}: fields end at ${end}, struct is ${size} bytes`);
  return size;
}

// e_ident (ABI 4.1 "ELF Identification"): the same 16 bytes in both classes.
/** gABI: size of e_ident, the same 16 bytes in both classes. */
export const EI_NIDENT = 16;
/** gABI e_ident index of the file class byte. */
export const EI_CLASS = 4;
/** gABI e_ident index of the data encoding (byte order) byte. */
export const EI_DATA = 5;
/** gABI e_ident index of the ELF header version byte. */
export const EI_VERSION = 6;
/** gABI e_ident index of the OS/ABI identification byte. */
export const EI_OSABI = 7;
/** gABI e_ident index of the ABI version byte. */
export const EI_ABIVERSION = 8;

type EhdrField =
  | "e_ident" | "e_type" | "e_machine" | "e_version" | "e_entry" | "e_phoff" | "e_shoff" | "e_flags"
  | "e_ehsize" | "e_phentsize" | "e_phnum" | "e_shentsize" | "e_shnum" | "e_shstrndx";

/** Elf32_Ehdr: 52 bytes. */
export const EHDR32 = {
  e_ident: [0, 8], // 16 bytes; listed as two 8-byte halves for the size check below
  e_ident_hi: [8, 8],
  e_type: [16, 2], e_machine: [18, 2], e_version: [20, 4], e_entry: [24, 4], e_phoff: [28, 4], e_shoff: [32, 4],
  e_flags: [36, 4], e_ehsize: [40, 2], e_phentsize: [42, 2], e_phnum: [44, 2], e_shentsize: [46, 2], e_shnum: [48, 2],
  e_shstrndx: [50, 2],
} as const satisfies Layout<EhdrField | "e_ident_hi">;
/** Size of Elf32_Ehdr (52), checked against {@link EHDR32}. */
export const EHDR32_SIZE = assertLayoutSize("Elf32_Ehdr", EHDR32, 52);

/** Elf64_Ehdr: 64 bytes. */
export const EHDR64 = {
  e_ident: [0, 8],
  e_ident_hi: [8, 8],
  e_type: [16, 2], e_machine: [18, 2], e_version: [20, 4], e_entry: [24, 8], e_phoff: [32, 8], e_shoff: [40, 8],
  e_flags: [48, 4], e_ehsize: [52, 2], e_phentsize: [54, 2], e_phnum: [56, 2], e_shentsize: [58, 2], e_shnum: [60, 2],
  e_shstrndx: [62, 2],
} as const satisfies Layout<EhdrField | "e_ident_hi">;
/** Size of Elf64_Ehdr (64), checked against {@link EHDR64}. */
export const EHDR64_SIZE = assertLayoutSize("Elf64_Ehdr", EHDR64, 64);

type PhdrField = "p_type" | "p_flags" | "p_offset" | "p_vaddr" | "p_paddr" | "p_filesz" | "p_memsz" | "p_align";

/** Elf32_Phdr: 32 bytes (p_flags comes after p_memsz in the 32-bit layout). */
export const PHDR32 = {
  p_type: [0, 4], p_offset: [4, 4], p_vaddr: [8, 4], p_paddr: [12, 4], p_filesz: [16, 4], p_memsz: [20, 4],
  p_flags: [24, 4], p_align: [28, 4],
} as const satisfies Layout<PhdrField>;
/** Size of Elf32_Phdr (32), checked against {@link PHDR32}. */
export const PHDR32_SIZE = assertLayoutSize("Elf32_Phdr", PHDR32, 32);

/** Elf64_Phdr: 56 bytes (p_flags moved up to keep the 8-byte fields aligned). */
export const PHDR64 = {
  p_type: [0, 4], p_flags: [4, 4], p_offset: [8, 8], p_vaddr: [16, 8], p_paddr: [24, 8], p_filesz: [32, 8],
  p_memsz: [40, 8], p_align: [48, 8],
} as const satisfies Layout<PhdrField>;
/** Size of Elf64_Phdr (56), checked against {@link PHDR64}. */
export const PHDR64_SIZE = assertLayoutSize("Elf64_Phdr", PHDR64, 56);

type ShdrField =
  | "sh_name" | "sh_type" | "sh_flags" | "sh_addr" | "sh_offset" | "sh_size" | "sh_link" | "sh_info"
  | "sh_addralign" | "sh_entsize";

/** Elf32_Shdr: 40 bytes. */
export const SHDR32 = {
  sh_name: [0, 4], sh_type: [4, 4], sh_flags: [8, 4], sh_addr: [12, 4], sh_offset: [16, 4], sh_size: [20, 4],
  sh_link: [24, 4], sh_info: [28, 4], sh_addralign: [32, 4], sh_entsize: [36, 4],
} as const satisfies Layout<ShdrField>;
/** Size of Elf32_Shdr (40), checked against {@link SHDR32}. */
export const SHDR32_SIZE = assertLayoutSize("Elf32_Shdr", SHDR32, 40);

/** Elf64_Shdr: 64 bytes. */
export const SHDR64 = {
  sh_name: [0, 4], sh_type: [4, 4], sh_flags: [8, 8], sh_addr: [16, 8], sh_offset: [24, 8], sh_size: [32, 8],
  sh_link: [40, 4], sh_info: [44, 4], sh_addralign: [48, 8], sh_entsize: [56, 8],
} as const satisfies Layout<ShdrField>;
/** Size of Elf64_Shdr (64), checked against {@link SHDR64}. */
export const SHDR64_SIZE = assertLayoutSize("Elf64_Shdr", SHDR64, 64);

type SymField = "st_name" | "st_value" | "st_size" | "st_info" | "st_other" | "st_shndx";

/** Elf32_Sym: 16 bytes. */
export const SYM32 = {
  st_name: [0, 4], st_value: [4, 4], st_size: [8, 4], st_info: [12, 1], st_other: [13, 1], st_shndx: [14, 2],
} as const satisfies Layout<SymField>;
/** Size of Elf32_Sym (16), checked against {@link SYM32}. */
export const SYM32_SIZE = assertLayoutSize("Elf32_Sym", SYM32, 16);

/** Elf64_Sym: 24 bytes. */
export const SYM64 = {
  st_name: [0, 4], st_info: [4, 1], st_other: [5, 1], st_shndx: [6, 2], st_value: [8, 8], st_size: [16, 8],
} as const satisfies Layout<SymField>;
/** Size of Elf64_Sym (24), checked against {@link SYM64}. */
export const SYM64_SIZE = assertLayoutSize("Elf64_Sym", SYM64, 24);

/** Elf32_Rel / Elf32_Rela: 8 / 12 bytes. */
export const RELA32 = { r_offset: [0, 4], r_info: [4, 4], r_addend: [8, 4] } as const;
/** Size of Elf32_Rel (8): Elf32_Rela without r_addend. */
export const REL32_SIZE = assertLayoutSize("Elf32_Rel", { r_offset: RELA32.r_offset, r_info: RELA32.r_info }, 8);
/** Size of Elf32_Rela (12), checked against {@link RELA32}. */
export const RELA32_SIZE = assertLayoutSize("Elf32_Rela", RELA32, 12);

/** Elf64_Rel / Elf64_Rela: 16 / 24 bytes. */
export const RELA64 = { r_offset: [0, 8], r_info: [8, 8], r_addend: [16, 8] } as const;
/** Size of Elf64_Rel (16): Elf64_Rela without r_addend. */
export const REL64_SIZE = assertLayoutSize("Elf64_Rel", { r_offset: RELA64.r_offset, r_info: RELA64.r_info }, 16);
/** Size of Elf64_Rela (24), checked against {@link RELA64}. */
export const RELA64_SIZE = assertLayoutSize("Elf64_Rela", RELA64, 24);

/** Elf32_Nhdr / Elf64_Nhdr: three 4-byte words in both classes (namesz, descsz, type). */
export const NHDR = { n_namesz: [0, 4], n_descsz: [4, 4], n_type: [8, 4] } as const;
/** Size of the note header (12: namesz, descsz, type), checked against {@link NHDR}. */
export const NHDR_SIZE = assertLayoutSize("Elf_Nhdr", NHDR, 12);
