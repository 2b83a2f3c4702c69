/**
 * Program headers (System V ABI, "Program Header"): read, bounded by the file
 * and by ParseLimits, with every offset/size sum checked before use.
 */
import type { ParseLimits } from "../image-format.js";
import type { ByteReader } from "../byte-reader.js";
import type { ElfHeader } from "./elf-header.js";
import { PN_XNUM } from "./elf-header.js";
import { PHDR32, PHDR32_SIZE, PHDR64, PHDR64_SIZE } from "./layout.js";

/** gABI p_type: unused entry. */
export const PT_NULL = 0;
/** gABI p_type: loadable segment. */
export const PT_LOAD = 1;
/** gABI p_type: dynamic linking information. */
export const PT_DYNAMIC = 2;
/** gABI p_type: path of the program interpreter. */
export const PT_INTERP = 3;
/** gABI p_type: note segment. */
export const PT_NOTE = 4;
export const PT_SHLIB = 5;
/** gABI p_type: the program header table itself. */
export const PT_PHDR = 6;
/** gABI p_type: thread-local storage template. */
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
/** GNU p_type: stack permissions (its p_flags say whether the stack is executable). */
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PT_GNU_PROPERTY = 0x6474e553;

/** p_flags bits. */
export const PF_X = 1;
/** gABI p_flags: segment is writable. */
export const PF_W = 2;
/** gABI p_flags: segment is readable. */
export const PF_R = 4;

const PT_NAMES: Record<number, string> = {
  [PT_NULL]: "PT_NULL",
  [PT_LOAD]: "PT_LOAD",
  [PT_DYNAMIC]: "PT_DYNAMIC",
  [PT_INTERP]: "PT_INTERP",
  [PT_NOTE]: "PT_NOTE",
  [PT_SHLIB]: "PT_SHLIB",
  [PT_PHDR]: "PT_PHDR",
  [PT_TLS]: "PT_TLS",
  [PT_GNU_EH_FRAME]: "PT_GNU_EH_FRAME",
  [PT_GNU_STACK]: "PT_GNU_STACK",
  [PT_GNU_RELRO]: "PT_GNU_RELRO",
  [PT_GNU_PROPERTY]: "PT_GNU_PROPERTY",
};

/** `PT_LOAD`, `PT_NOTE`... or the number in hex. */
export function programHeaderTypeName(type: number): string {
  return PT_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** `RWX`-style rendering of p_flags. */
export function segmentFlagsString(flags: number): string {
  return `${flags & PF_R ? "R" : "-"}${flags & PF_W ? "W" : "-"}${flags & PF_X ? "X" : "-"}`;
}

/** One program header, fields as in the file. */
export interface ProgramHeader {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
  /** File offset of this program header entry (for error messages). */
  readonly headerOffset: number;
}

/**
 * Read the program header table. `extendedCount` supplies section 0's sh_info
 * when e_phnum is PN_XNUM (gABI extended numbering). `fileSize` is the size of
 * the whole file when `r` holds only its beginning (a crash dump is read up to
 * its program headers, not its memory): segments are checked against it.
 */
export function readProgramHeaders(
  r: ByteReader,
  header: ElfHeader,
  limits: ParseLimits,
  extendedCount: () => number,
  fileSize: bigint = BigInt(r.length),
): ProgramHeader[] {
  const L = header.elfClass === 64 ? PHDR64 : PHDR32;
  const entSize = header.elfClass === 64 ? PHDR64_SIZE : PHDR32_SIZE;
  const phnumField = header.elfClass === 64 ? 56 : 44;
  const phentField = header.elfClass === 64 ? 54 : 42;
  const phoffField = header.elfClass === 64 ? 32 : 28;
  let count = header.phnum;
  if (count === PN_XNUM) count = extendedCount();
  if (count === 0) return [];
  if (header.phoff === 0n) throw r.error("e_phoff", phoffField, `is 0 but e_phnum says ${count} program headers`);
  if (header.phentsize < entSize) {
    throw r.error("e_phentsize", phentField, `${header.phentsize} is smaller than the ${entSize}-byte ELF${header.elfClass} program header`);
  }
  if (count > limits.maxProgramHeaders) {
    throw r.error("e_phnum", phnumField, `${count} program headers exceed the limit of ${limits.maxProgramHeaders}`);
  }
  const tableSize = BigInt(count) * BigInt(header.phentsize);
  const end = header.phoff + tableSize;
  if (end > BigInt(r.length)) {
    throw r.error(
      "e_phoff",
      phoffField,
      `program header table 0x${header.phoff.toString(16)} + ${count} x ${header.phentsize} ends at 0x${end.toString(16)}, past the end of the file (0x${r.length.toString(16)})`,
    );
  }
  const base = Number(header.phoff);
  const bits = header.elfClass;
  const out: ProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + i * header.phentsize;
    const f = (name: keyof typeof L) => at + L[name][0];
    const ph: ProgramHeader = {
      index: i,
      type: r.u32(`phdr[${i}].p_type`, f("p_type")),
      flags: r.u32(`phdr[${i}].p_flags`, f("p_flags")),
      offset: r.word(`phdr[${i}].p_offset`, f("p_offset"), bits),
      vaddr: r.word(`phdr[${i}].p_vaddr`, f("p_vaddr"), bits),
      paddr: r.word(`phdr[${i}].p_paddr`, f("p_paddr"), bits),
      filesz: r.word(`phdr[${i}].p_filesz`, f("p_filesz"), bits),
      memsz: r.word(`phdr[${i}].p_memsz`, f("p_memsz"), bits),
      align: r.word(`phdr[${i}].p_align`, f("p_align"), bits),
      headerOffset: at,
    };
    checkProgramHeader(r, ph, bits, limits, fileSize);
    out.push(ph);
  }
  return out;
}

/** Offset of a named field of program header `ph` in the file. */
export function programHeaderFieldOffset(ph: ProgramHeader, bits: 32 | 64, field: keyof typeof PHDR64): number {
  return ph.headerOffset + (bits === 64 ? PHDR64 : PHDR32)[field][0];
}

function checkProgramHeader(r: ByteReader, ph: ProgramHeader, bits: 32 | 64, limits: ParseLimits, fileSize: bigint): void {
  const at = (field: keyof typeof PHDR64) => programHeaderFieldOffset(ph, bits, field);
  const name = `phdr[${ph.index}]`;
  const space = 1n << BigInt(bits);
  // The file range is checked for every segment that claims bytes, not only PT_LOAD:
  // notes and the interpreter path are read from it too.
  if (ph.filesz > 0n) {
    const end = ph.offset + ph.filesz;
    if (end > space) {
      throw r.error(`${name}.p_filesz`, at("p_filesz"), `p_offset 0x${ph.offset.toString(16)} + p_filesz 0x${ph.filesz.toString(16)} wraps past 2^${bits}`);
    }
    if (end > fileSize) {
      throw r.error(`${name}.p_filesz`, at("p_filesz"), `p_offset 0x${ph.offset.toString(16)} + p_filesz 0x${ph.filesz.toString(16)} = 0x${end.toString(16)} is past the end of the file (0x${fileSize.toString(16)}): a truncated copy?`);
    }
  }
  if (ph.type !== PT_LOAD) return;
  if (ph.filesz > ph.memsz) {
    throw r.error(`${name}.p_filesz`, at("p_filesz"), `p_filesz 0x${ph.filesz.toString(16)} exceeds p_memsz 0x${ph.memsz.toString(16)}`);
  }
  if (ph.memsz > limits.maxSegmentMemory) {
    throw r.error(`${name}.p_memsz`, at("p_memsz"), `p_memsz 0x${ph.memsz.toString(16)} exceeds the limit of 0x${limits.maxSegmentMemory.toString(16)} bytes`);
  }
  if (ph.paddr + ph.memsz > space) {
    throw r.error(`${name}.p_paddr`, at("p_paddr"), `p_paddr 0x${ph.paddr.toString(16)} + p_memsz 0x${ph.memsz.toString(16)} wraps past 2^${bits}`);
  }
  if (ph.vaddr + ph.memsz > space) {
    throw r.error(`${name}.p_vaddr`, at("p_vaddr"), `p_vaddr 0x${ph.vaddr.toString(16)} + p_memsz 0x${ph.memsz.toString(16)} wraps past 2^${bits}`);
  }
}
