/**
 * A parsed ELF file: header, program headers and section headers, all checked
 * against the file size and ParseLimits at parse time; symbols, relocations and
 * notes are read on request. Nothing here copies the file's bytes.
 */
import { DEFAULT_PARSE_LIMITS, type ImageInput, type ParseLimits } from "../image-format.js";
import type { ByteReader } from "../byte-reader.js";
import { readElfHeader, type ElfHeader } from "./elf-header.js";
import { readNotes, type ElfNote, type NoteBudget } from "./notes.js";
import { PT_NOTE, readProgramHeaders, type ProgramHeader } from "./program-headers.js";
import { readRelocations, type RelocationSection } from "./relocations.js";
import {
  SHT_NOTE,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  readSectionTable,
  readSectionZero,
  sectionFieldOffset,
  stringTableOf,
  type SectionHeader,
  type StringTable,
} from "./sections.js";
import { readSymbols, type ElfSymbol } from "./symbols.js";

/** A parsed ELF file: header, program and section headers, all bounds-checked at {@link ElfFile.parse}; symbols, relocations and notes are read on demand. */
export class ElfFile {
  private constructor(
    readonly path: string,
    readonly reader: ByteReader,
    readonly header: ElfHeader,
    readonly programHeaders: readonly ProgramHeader[],
    readonly sections: readonly SectionHeader[],
    readonly limits: ParseLimits,
  ) {}

  /** Parse and check the header and both header tables. */
  static parse(input: ImageInput, limits: Partial<ParseLimits> = {}): ElfFile {
    const all: ParseLimits = { ...DEFAULT_PARSE_LIMITS, ...limits };
    const { header, reader } = readElfHeader(input.bytes, input.path);
    const programHeaders = readProgramHeaders(reader, header, all, () => {
      const zero = readSectionZero(reader, header);
      if (!zero) throw reader.error("e_phnum", header.elfClass === 64 ? 56 : 44, "is PN_XNUM (0xffff) but there is no section 0 to hold the real count");
      return zero.info;
    });
    const { sections } = readSectionTable(reader, header, all);
    return new ElfFile(input.path, reader, header, programHeaders, sections, all);
  }

  get bytes(): Uint8Array {
    return this.reader.bytes;
  }

  /** The format label used in errors and output: `ELF32` or `ELF64`. */
  get format(): string {
    return `ELF${this.header.elfClass}`;
  }

  /** Section by index, or a FormatError naming `field` at `offset`. */
  section(index: number, field: string, offset: number): SectionHeader {
    const s = this.sections[index];
    if (!s) throw this.reader.error(field, offset, `section index ${index} is out of range (${this.sections.length} sections)`);
    return s;
  }

  /** Section contents as a view into the file (bounds were checked at parse). NOBITS sections have none. */
  sectionBytes(s: SectionHeader): Uint8Array {
    return this.reader.slice(`section ${s.index}`, s.offset, s.size);
  }

  /** The string table in section `index`; throws (naming `field` at `offset`) when that section is not SHT_STRTAB. */
  stringTable(index: number, field: string, offset: number): StringTable {
    const s = this.section(index, field, offset);
    if (s.type !== SHT_STRTAB) throw this.reader.error(field, offset, `section ${index} is not a string table`);
    return stringTableOf(this.reader, s);
  }

  /** The (single, in objects) SHT_SYMTAB section, if any. */
  symbolTableSection(): SectionHeader | undefined {
    return this.sections.find((s) => s.type === SHT_SYMTAB);
  }

  /** Symbols of symbol table section `s`. */
  symbols(s: SectionHeader): ElfSymbol[] {
    return readSymbols(this.reader, this.header, this.sections, s, this.limits);
  }

  /** Every REL/RELA section with its entries. */
  relocationSections(): RelocationSection[] {
    let total = 0;
    return this.sections
      .filter((s) => s.type === SHT_REL || s.type === SHT_RELA)
      .map((s) => {
        const rs = readRelocations(this.reader, this.header, s, this.limits);
        total += rs.entries.length;
        if (total > this.limits.maxRelocations) {
          throw this.reader.error(`section ${s.index}.sh_size`, sectionFieldOffset(s, this.header.elfClass, "sh_size"), `more than ${this.limits.maxRelocations} relocations in the file`);
        }
        return rs;
      });
  }

  /**
   * Every note of the file: all PT_NOTE segments, or, when there is no PT_NOTE
   * (an object, or an image whose notes are only in sections), all SHT_NOTE
   * sections, as Xen's loader falls back to. The note count is capped over the
   * whole file by `limits.maxNotes`.
   */
  notes(): ElfNote[] {
    const budget: NoteBudget = { max: this.limits.maxNotes, count: 0 };
    const out: ElfNote[] = [];
    if (this.programHeaders.some((ph) => ph.type === PT_NOTE)) {
      for (const ph of this.programHeaders) {
        if (ph.type !== PT_NOTE || ph.filesz === 0n) continue;
        for (const n of readNotes(this.reader, Number(ph.offset), Number(ph.filesz), `PT_NOTE[${ph.index}]`, budget)) out.push(n);
      }
    } else {
      for (const s of this.sections) {
        if (s.type !== SHT_NOTE || s.size === 0n) continue;
        for (const n of readNotes(this.reader, Number(s.offset), Number(s.size), `section ${s.name || s.index}`, budget)) out.push(n);
      }
    }
    return out;
  }
}
