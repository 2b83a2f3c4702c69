/** Relocation sections, REL and RELA (System V ABI, "Relocation"). */
import type { ParseLimits } from "../image-format.js";
import type { ByteReader } from "../byte-reader.js";
import type { ElfHeader } from "./elf-header.js";
import { REL32_SIZE, REL64_SIZE, RELA32, RELA32_SIZE, RELA64, RELA64_SIZE } from "./layout.js";
import { SHT_REL, SHT_RELA, sectionFieldOffset, type SectionHeader } from "./sections.js";

/** One relocation entry, with r_info split into symbol index and type. */
export interface ElfRelocation {
  readonly index: number;
  /** r_offset: in ET_REL, the offset inside the target section. */
  readonly offset: bigint;
  readonly type: number;
  readonly symbol: number;
  /** r_addend for RELA; 0 for REL (the addend is then in the bytes being relocated). */
  readonly addend: bigint;
  /** File offset of the entry (for error messages). */
  readonly entryOffset: number;
}

/** A REL or RELA section with its entries. */
export interface RelocationSection {
  readonly section: SectionHeader;
  readonly withAddend: boolean;
  /** sh_info: the section the entries apply to. */
  readonly target: number;
  /** sh_link: the symbol table the entries refer to. */
  readonly symbolTable: number;
  readonly entries: readonly ElfRelocation[];
}

/** Read the entries of REL/RELA section `sec`; indices are checked by the linker, which knows the tables. */
export function readRelocations(r: ByteReader, header: ElfHeader, sec: SectionHeader, limits: ParseLimits): RelocationSection {
  const bits = header.elfClass;
  const n = `section ${sec.index} (${sec.name || "rel"})`;
  const at = (field: Parameters<typeof sectionFieldOffset>[2]) => sectionFieldOffset(sec, bits, field);
  if (sec.type !== SHT_REL && sec.type !== SHT_RELA) throw r.error(`${n}.sh_type`, at("sh_type"), "is not a REL or RELA section");
  const withAddend = sec.type === SHT_RELA;
  const entSize = bits === 64 ? (withAddend ? RELA64_SIZE : REL64_SIZE) : withAddend ? RELA32_SIZE : REL32_SIZE;
  if (sec.entsize !== BigInt(entSize)) {
    throw r.error(`${n}.sh_entsize`, at("sh_entsize"), `${sec.entsize} is not the ${entSize}-byte ELF${bits} ${withAddend ? "RELA" : "REL"} entry size`);
  }
  if (sec.size % BigInt(entSize) !== 0n) {
    throw r.error(`${n}.sh_size`, at("sh_size"), `${sec.size} is not a multiple of the entry size ${entSize}`);
  }
  const count = sec.size / BigInt(entSize);
  if (count > BigInt(limits.maxRelocations)) {
    throw r.error(`${n}.sh_size`, at("sh_size"), `${count} relocations exceed the limit of ${limits.maxRelocations}`);
  }
  const L = bits === 64 ? RELA64 : RELA32;
  const base = Number(sec.offset);
  const entries: ElfRelocation[] = [];
  for (let i = 0; i < Number(count); i++) {
    const e = base + i * entSize;
    const s = `${n} entry[${i}]`;
    const info = r.word(`${s}.r_info`, e + L.r_info[0], bits);
    entries.push({
      index: i,
      offset: r.word(`${s}.r_offset`, e + L.r_offset[0], bits),
      // ELF64: symbol in the high 32 bits, type in the low 32; ELF32: symbol << 8 | type.
      symbol: Number(bits === 64 ? info >> 32n : info >> 8n),
      type: Number(bits === 64 ? info & 0xffff_ffffn : info & 0xffn),
      addend: withAddend ? (bits === 64 ? r.i64(`${s}.r_addend`, e + L.r_addend[0]) : BigInt(r.i32(`${s}.r_addend`, e + L.r_addend[0]))) : 0n,
      entryOffset: e,
    });
  }
  return { section: sec, withAddend, target: sec.info, symbolTable: sec.link, entries };
}
