/** Symbol tables (System V ABI, "Symbol Table"). */
import type { ParseLimits } from "../image-format.js";
import type { ByteReader } from "../byte-reader.js";
import type { ElfHeader } from "./elf-header.js";
import { SYM32, SYM32_SIZE, SYM64, SYM64_SIZE } from "./layout.js";
import { SHT_DYNSYM, SHT_STRTAB, SHT_SYMTAB, sectionFieldOffset, stringTableOf, type SectionHeader } from "./sections.js";

/** st_info binding (high nibble). */
export const STB_LOCAL = 0;
/** gABI st_info binding: global symbol. */
export const STB_GLOBAL = 1;
/** gABI st_info binding: weak symbol (global, lower precedence). */
export const STB_WEAK = 2;
/** st_info type (low nibble). */
export const STT_NOTYPE = 0;
/** gABI st_info type: data object. */
export const STT_OBJECT = 1;
/** gABI st_info type: function or other executable code. */
export const STT_FUNC = 2;
/** gABI st_info type: a section (for relocations). */
export const STT_SECTION = 3;
/** gABI st_info type: source file name. */
export const STT_FILE = 4;
/** gABI st_info type: uninitialised common block. */
export const STT_COMMON = 5;
export const STT_TLS = 6;

/** One symbol table entry. */
export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  readonly bind: number;
  readonly type: number;
  readonly other: number;
  /** Section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  readonly shndx: number;
  /** File offset of the entry (for error messages). */
  readonly entryOffset: number;
}

/** Read every entry of symbol table section `symtab`. */
export function readSymbols(
  r: ByteReader,
  header: ElfHeader,
  sections: readonly SectionHeader[],
  symtab: SectionHeader,
  limits: ParseLimits,
): ElfSymbol[] {
  const bits = header.elfClass;
  const at = (field: Parameters<typeof sectionFieldOffset>[2]) => sectionFieldOffset(symtab, bits, field);
  const n = `section ${symtab.index} (${symtab.name || "symtab"})`;
  if (symtab.type !== SHT_SYMTAB && symtab.type !== SHT_DYNSYM) throw r.error(`${n}.sh_type`, at("sh_type"), "is not a symbol table");
  const entSize = bits === 64 ? SYM64_SIZE : SYM32_SIZE;
  if (symtab.entsize !== BigInt(entSize)) {
    throw r.error(`${n}.sh_entsize`, at("sh_entsize"), `${symtab.entsize} is not the ${entSize}-byte ELF${bits} symbol size`);
  }
  if (symtab.size % BigInt(entSize) !== 0n) {
    throw r.error(`${n}.sh_size`, at("sh_size"), `${symtab.size} is not a multiple of the symbol size ${entSize}`);
  }
  const count = symtab.size / BigInt(entSize);
  if (count > BigInt(limits.maxSymbols)) {
    throw r.error(`${n}.sh_size`, at("sh_size"), `${count} symbols exceed the limit of ${limits.maxSymbols}`);
  }
  const strSection = sections[symtab.link];
  if (!strSection || strSection.type !== SHT_STRTAB) {
    throw r.error(`${n}.sh_link`, at("sh_link"), `section ${symtab.link} is not a string table`);
  }
  const strings = stringTableOf(r, strSection);
  const L = bits === 64 ? SYM64 : SYM32;
  const out: ElfSymbol[] = [];
  const base = Number(symtab.offset);
  for (let i = 0; i < Number(count); i++) {
    const e = base + i * entSize;
    const f = (k: keyof typeof L) => e + L[k][0];
    const s = `symbol[${i}]`;
    const info = r.u8(`${s}.st_info`, f("st_info"));
    const nameOffset = r.u32(`${s}.st_name`, f("st_name"));
    out.push({
      index: i,
      name: nameOffset === 0 ? "" : strings.get(nameOffset, `${s}.st_name`, f("st_name")),
      value: r.word(`${s}.st_value`, f("st_value"), bits),
      size: r.word(`${s}.st_size`, f("st_size"), bits),
      bind: info >> 4,
      type: info & 0xf,
      other: r.u8(`${s}.st_other`, f("st_other")),
      shndx: r.u16(`${s}.st_shndx`, f("st_shndx")),
      entryOffset: e,
    });
  }
  return out;
}
