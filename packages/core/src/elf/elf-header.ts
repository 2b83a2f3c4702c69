/**
 * The ELF file header (System V ABI, "ELF Header" and "ELF Identification").
 * Both classes, both byte orders; everything checked before anything else in the
 * file is trusted.
 */
import { FormatError } from "../errors.js";
import { ByteReader } from "../byte-reader.js";
import {
  EHDR32,
  EHDR32_SIZE,
  EHDR64,
  EHDR64_SIZE,
  EI_ABIVERSION,
  EI_CLASS,
  EI_DATA,
  EI_NIDENT,
  EI_OSABI,
  EI_VERSION,
} from "./layout.js";

/** gABI e_ident[EI_MAG0..EI_MAG3]: the four bytes every ELF file starts with ("\x7fELF"). */
export const ELF_MAGIC = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46); // "\x7fELF"
/** gABI e_ident[EI_CLASS] value for 32-bit objects. */
export const ELFCLASS32 = 1;
/** gABI e_ident[EI_CLASS] value for 64-bit objects. */
export const ELFCLASS64 = 2;
/** gABI e_ident[EI_DATA] value for little-endian (two's complement) objects. */
export const ELFDATA2LSB = 1;
/** gABI e_ident[EI_DATA] value for big-endian (two's complement) objects. */
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

/** e_type values. */
export const ET_NONE = 0;
/** gABI e_type: relocatable object. */
export const ET_REL = 1;
/** gABI e_type: executable. */
export const ET_EXEC = 2;
/** gABI e_type: shared object (also position-independent executables). */
export const ET_DYN = 3;
/** gABI e_type: core file. */
export const ET_CORE = 4;

/** Program header count escape (gABI: real count in section 0's sh_info). */
export const PN_XNUM = 0xffff;

/** ELF class as a bit width: 32 for ELFCLASS32, 64 for ELFCLASS64. */
export type ElfClass = 32 | 64;
/** Byte order from e_ident[EI_DATA]. */
export type Endianness = "little" | "big";

/** A validated ELF header. Counts are the raw fields; see `ElfFile` for resolved counts. */
export interface ElfHeader {
  readonly elfClass: ElfClass;
  readonly endianness: Endianness;
  readonly osabi: number;
  readonly abiVersion: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
  /** Size of the header struct for this class (52 or 64). */
  readonly headerSize: number;
}

/** True when the buffer starts with the ELF magic. Never throws. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** Name of an e_type for messages and output. */
export function elfTypeName(type: number): string {
  return ({ [ET_NONE]: "ET_NONE", [ET_REL]: "ET_REL", [ET_EXEC]: "ET_EXEC", [ET_DYN]: "ET_DYN", [ET_CORE]: "ET_CORE" } as Record<number, string>)[type] ?? `0x${type.toString(16)}`;
}

/**
 * Read and check e_ident and the rest of the header. Returns the header and a
 * reader set to the file's class and byte order.
 */
export function readElfHeader(bytes: Uint8Array, file: string, options: { readonly checkEhsize?: boolean } = {}): { header: ElfHeader; reader: ByteReader } {
  const ident = new ByteReader(bytes, file, "ELF");
  ident.require("e_ident", 0, EI_NIDENT);
  if (!hasElfMagic(bytes)) throw new FormatError(file, "ELF", "e_ident[EI_MAG]", 0, "not an ELF file (no \\x7fELF magic)");
  const cls = bytes[EI_CLASS]!;
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    throw new FormatError(file, "ELF", "e_ident[EI_CLASS]", EI_CLASS, `invalid class ${cls} (expected 1 = ELFCLASS32 or 2 = ELFCLASS64)`);
  }
  const data = bytes[EI_DATA]!;
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    throw new FormatError(file, "ELF", "e_ident[EI_DATA]", EI_DATA, `invalid data encoding ${data} (expected 1 = little-endian or 2 = big-endian)`);
  }
  const identVersion = bytes[EI_VERSION]!;
  if (identVersion !== EV_CURRENT) {
    throw new FormatError(file, "ELF", "e_ident[EI_VERSION]", EI_VERSION, `invalid ELF version ${identVersion} (expected 1)`);
  }
  const elfClass: ElfClass = cls === ELFCLASS64 ? 64 : 32;
  const r = new ByteReader(bytes, file, `ELF${elfClass}`, data === ELFDATA2LSB);
  const L = elfClass === 64 ? EHDR64 : EHDR32;
  const headerSize = elfClass === 64 ? EHDR64_SIZE : EHDR32_SIZE;
  r.require("ELF header", 0, headerSize);
  const header: ElfHeader = {
    elfClass,
    endianness: data === ELFDATA2LSB ? "little" : "big",
    osabi: bytes[EI_OSABI]!,
    abiVersion: bytes[EI_ABIVERSION]!,
    type: r.u16("e_type", L.e_type[0]),
    machine: r.u16("e_machine", L.e_machine[0]),
    version: r.u32("e_version", L.e_version[0]),
    entry: r.word("e_entry", L.e_entry[0], elfClass),
    phoff: r.word("e_phoff", L.e_phoff[0], elfClass),
    shoff: r.word("e_shoff", L.e_shoff[0], elfClass),
    flags: r.u32("e_flags", L.e_flags[0]),
    ehsize: r.u16("e_ehsize", L.e_ehsize[0]),
    phentsize: r.u16("e_phentsize", L.e_phentsize[0]),
    phnum: r.u16("e_phnum", L.e_phnum[0]),
    shentsize: r.u16("e_shentsize", L.e_shentsize[0]),
    shnum: r.u16("e_shnum", L.e_shnum[0]),
    shstrndx: r.u16("e_shstrndx", L.e_shstrndx[0]),
    headerSize,
  };
  if (header.version !== EV_CURRENT) throw r.error("e_version", L.e_version[0], `invalid version ${header.version} (expected 1)`);
  // Crash dumps from QEMU 7.2's dump-guest-memory carry e_ehsize 8; their readers skip this check.
  if (options.checkEhsize !== false && header.ehsize < headerSize) {
    throw r.error("e_ehsize", L.e_ehsize[0], `${header.ehsize} is smaller than the ${headerSize}-byte ELF${elfClass} header`);
  }
  return { header, reader: r };
}
