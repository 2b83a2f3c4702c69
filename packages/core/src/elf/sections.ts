/**
 * Section headers and string tables (System V ABI, "Sections", "String Table").
 * Used for relocatable objects (ET_REL) and for notes when a file has no
 * program headers.
 */
import type { ParseLimits } from "../image-format.js";
import type { ByteReader } from "../byte-reader.js";
import type { ElfHeader } from "./elf-header.js";
import { SHDR32, SHDR32_SIZE, SHDR64, SHDR64_SIZE } from "./layout.js";

/** gABI sh_type: inactive section header. */
export const SHT_NULL = 0;
/** gABI sh_type: program-defined contents. */
export const SHT_PROGBITS = 1;
/** gABI sh_type: symbol table. */
export const SHT_SYMTAB = 2;
/** gABI sh_type: string table. */
export const SHT_STRTAB = 3;
/** gABI sh_type: relocation entries with explicit addends. */
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
/** gABI sh_type: notes. */
export const SHT_NOTE = 7;
/** gABI sh_type: occupies no file space (.bss). */
export const SHT_NOBITS = 8;
/** gABI sh_type: relocation entries without explicit addends. */
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
/** gABI sh_type: section group (COMDAT). */
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;

/** sh_flags bits. */
export const SHF_WRITE = 0x1n;
/** gABI sh_flags: occupies memory at run time. */
export const SHF_ALLOC = 0x2n;
/** gABI sh_flags: contains executable instructions. */
export const SHF_EXECINSTR = 0x4n;
/** gABI sh_flags: contents may be merged to remove duplicates. */
export const SHF_MERGE = 0x10n;
/** gABI sh_flags: contents are NUL-terminated strings. */
export const SHF_STRINGS = 0x20n;
/** gABI sh_flags: sh_info holds a section header index. */
export const SHF_INFO_LINK = 0x40n;

/** Special section indices. */
export const SHN_UNDEF = 0;
/** gABI: lower bound of the reserved section indices. */
export const SHN_LORESERVE = 0xff00;
/** gABI: symbol has an absolute value, not relative to any section. */
export const SHN_ABS = 0xfff1;
/** gABI: common symbol, not yet allocated. */
export const SHN_COMMON = 0xfff2;
/** gABI: the real section index is in the SHT_SYMTAB_SHNDX table. */
export const SHN_XINDEX = 0xffff;

const SHT_NAMES: Record<number, string> = {
  [SHT_NULL]: "NULL", [SHT_PROGBITS]: "PROGBITS", [SHT_SYMTAB]: "SYMTAB", [SHT_STRTAB]: "STRTAB", [SHT_RELA]: "RELA",
  [SHT_HASH]: "HASH", [SHT_DYNAMIC]: "DYNAMIC", [SHT_NOTE]: "NOTE", [SHT_NOBITS]: "NOBITS", [SHT_REL]: "REL",
  [SHT_DYNSYM]: "DYNSYM", [SHT_INIT_ARRAY]: "INIT_ARRAY", [SHT_FINI_ARRAY]: "FINI_ARRAY", [SHT_GROUP]: "GROUP",
  [SHT_SYMTAB_SHNDX]: "SYMTAB_SHNDX",
};

/** `PROGBITS`, `SYMTAB`... (readelf's spelling) or the number in hex. */
export function sectionTypeName(type: number): string {
  return SHT_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** One section header with its name resolved. */
export interface SectionHeader {
  readonly index: number;
  readonly name: string;
  readonly nameOffset: number;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
  /** File offset of this section header entry (for error messages). */
  readonly headerOffset: number;
}

/** The section header table plus the resolved section-name string table index. */
export interface SectionTable {
  readonly sections: readonly SectionHeader[];
  /** Index of the section-name string table, or 0 when there is none. */
  readonly shstrndx: number;
}

type RawSection = Omit<SectionHeader, "name">;

function readRaw(r: ByteReader, header: ElfHeader, index: number, at: number): RawSection {
  const L = header.elfClass === 64 ? SHDR64 : SHDR32;
  const bits = header.elfClass;
  const f = (name: keyof typeof L) => at + L[name][0];
  const n = `shdr[${index}]`;
  return {
    index,
    nameOffset: r.u32(`${n}.sh_name`, f("sh_name")),
    type: r.u32(`${n}.sh_type`, f("sh_type")),
    flags: r.word(`${n}.sh_flags`, f("sh_flags"), bits),
    addr: r.word(`${n}.sh_addr`, f("sh_addr"), bits),
    offset: r.word(`${n}.sh_offset`, f("sh_offset"), bits),
    size: r.word(`${n}.sh_size`, f("sh_size"), bits),
    link: r.u32(`${n}.sh_link`, f("sh_link")),
    info: r.u32(`${n}.sh_info`, f("sh_info")),
    addralign: r.word(`${n}.sh_addralign`, f("sh_addralign"), bits),
    entsize: r.word(`${n}.sh_entsize`, f("sh_entsize"), bits),
    headerOffset: at,
  };
}

/** Offset of a named field of section header `sh` in the file. */
export function sectionFieldOffset(sh: { headerOffset: number }, bits: 32 | 64, field: keyof typeof SHDR64): number {
  return sh.headerOffset + (bits === 64 ? SHDR64 : SHDR32)[field][0];
}

/**
 * Section 0, read on its own: it carries the real section count (sh_size), the
 * real e_shstrndx (sh_link) and the real e_phnum (sh_info) when the header's
 * fields overflow (gABI extended numbering). Undefined when there is no table.
 */
export function readSectionZero(r: ByteReader, header: ElfHeader): RawSection | undefined {
  if (header.shoff === 0n) return undefined;
  const entSize = header.elfClass === 64 ? SHDR64_SIZE : SHDR32_SIZE;
  const shoffField = header.elfClass === 64 ? 40 : 32;
  if (header.shentsize < entSize) {
    throw r.error("e_shentsize", header.elfClass === 64 ? 58 : 46, `${header.shentsize} is smaller than the ${entSize}-byte ELF${header.elfClass} section header`);
  }
  if (header.shoff + BigInt(entSize) > BigInt(r.length)) {
    throw r.error("e_shoff", shoffField, `section header table at 0x${header.shoff.toString(16)} starts past the end of the file (0x${r.length.toString(16)})`);
  }
  return readRaw(r, header, 0, Number(header.shoff));
}

/** Read and check the whole section header table. */
export function readSectionTable(r: ByteReader, header: ElfHeader, limits: ParseLimits): SectionTable {
  const bits = header.elfClass;
  const shnumField = bits === 64 ? 60 : 48;
  const shoffField = bits === 64 ? 40 : 32;
  const shstrndxField = bits === 64 ? 62 : 50;
  if (header.shoff === 0n) {
    if (header.shnum !== 0) throw r.error("e_shoff", shoffField, `is 0 but e_shnum says ${header.shnum} sections`);
    return { sections: [], shstrndx: 0 };
  }
  const zero = readSectionZero(r, header)!;
  let count: bigint = BigInt(header.shnum);
  if (count === 0n) count = zero.size; // extended numbering: the real count is in section 0
  if (count > BigInt(limits.maxSectionHeaders)) {
    throw r.error("e_shnum", shnumField, `${count} section headers exceed the limit of ${limits.maxSectionHeaders}`);
  }
  const end = header.shoff + count * BigInt(header.shentsize);
  if (end > BigInt(r.length)) {
    throw r.error(
      "e_shnum",
      shnumField,
      `section header table 0x${header.shoff.toString(16)} + ${count} x ${header.shentsize} ends at 0x${end.toString(16)}, past the end of the file (0x${r.length.toString(16)})`,
    );
  }
  const n = Number(count);
  const raws: RawSection[] = [];
  for (let i = 0; i < n; i++) raws.push(i === 0 ? zero : readRaw(r, header, i, Number(header.shoff) + i * header.shentsize));
  const space = 1n << BigInt(bits);
  for (const s of raws) {
    if (s.type === SHT_NOBITS || s.type === SHT_NULL || s.size === 0n) continue;
    const sectionEnd = s.offset + s.size;
    if (sectionEnd > space || sectionEnd > BigInt(r.length)) {
      throw r.error(`shdr[${s.index}].sh_size`, sectionFieldOffset(s, bits, "sh_size"), `sh_offset 0x${s.offset.toString(16)} + sh_size 0x${s.size.toString(16)} is past the end of the file (0x${r.length.toString(16)})`);
    }
    if (s.link >= n && (s.type === SHT_SYMTAB || s.type === SHT_REL || s.type === SHT_RELA || s.type === SHT_DYNSYM)) {
      throw r.error(`shdr[${s.index}].sh_link`, sectionFieldOffset(s, bits, "sh_link"), `section index ${s.link} is out of range (${n} sections)`);
    }
  }
  let shstrndx = header.shstrndx;
  if (shstrndx === SHN_XINDEX) shstrndx = zero.link;
  if (shstrndx !== 0 && (shstrndx >= n || raws[shstrndx]!.type !== SHT_STRTAB)) {
    throw r.error("e_shstrndx", shstrndxField, `section ${shstrndx} is not a string table (${n} sections)`);
  }
  const names = shstrndx === 0 ? undefined : stringTableOf(r, raws[shstrndx]!);
  const sections = raws.map((s) => ({
    ...s,
    name: names ? names.get(s.nameOffset, `shdr[${s.index}].sh_name`, sectionFieldOffset(s, bits, "sh_name")) : "",
  }));
  return { sections, shstrndx };
}

/** A string table section: NUL-terminated strings looked up by byte offset. */
export class StringTable {
  constructor(
    private readonly r: ByteReader,
    /** File offset of the table. */
    readonly offset: number,
    readonly size: number,
  ) {}

  /** The string at `index`; it must be NUL-terminated inside the table. */
  get(index: number, field: string, fieldOffset: number): string {
    if (index >= this.size) {
      throw this.r.error(field, fieldOffset, `string offset ${index} is outside the ${this.size}-byte string table`);
    }
    return this.r.cString(field, this.offset + index, this.offset + this.size);
  }
}

/** The string table held by section `s` (already bounds-checked by readSectionTable). */
export function stringTableOf(r: ByteReader, s: Pick<SectionHeader, "offset" | "size" | "index">): StringTable {
  return new StringTable(r, Number(s.offset), Number(s.size));
}
