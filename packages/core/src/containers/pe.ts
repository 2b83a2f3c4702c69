import { ByteReader } from "../byte-reader.js";

// PE/COFF, as far as a boot loader needs it (Microsoft PE Format spec, "MS-DOS
// stub", "COFF File Header", "Optional Header", "Section Table"): enough for
// EFI zboot, UKIs and the arm64 EFI stub's length check. Every read is bounded.

/** e_lfanew: file offset of the "PE\0\0" signature, in the MS-DOS header. */
export const PE_E_LFANEW_OFFSET = 0x3c;
const MZ = 0x5a4d;
const PE_SIGNATURE = 0x00004550;
const COFF_HEADER_SIZE = 20;
const SECTION_HEADER_SIZE = 40;
/** The COFF header's NumberOfSections is a u16; we refuse more than this many (Windows' own loader caps at 96). */
const MAX_SECTIONS = 96;
const OPTIONAL_MAGIC_PE32 = 0x10b;
const OPTIONAL_MAGIC_PE32_PLUS = 0x20b;

/** One PE/COFF section header, bounds-checked against the file. */
export interface PeSection {
  readonly name: string;
  readonly virtualSize: number;
  readonly virtualAddress: number;
  readonly rawSize: number;
  readonly rawOffset: number;
}

/** A PE/COFF file as far as handoff reads one: machine, optional-header kind, sections. */
export interface PeFile {
  readonly machine: number;
  readonly peOffset: number;
  readonly optionalMagic: number;
  readonly sizeOfImage: number | undefined;
  readonly sections: readonly PeSection[];
  /** First byte past the last section's raw data: the file must be at least this long. */
  readonly rawEnd: number;
}

/** True when `bytes` starts with "MZ" and e_lfanew points at "PE\0\0" inside the buffer. Never throws. */
export function looksLikePe(bytes: Uint8Array): boolean {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) return false;
  const off = (bytes[0x3c]! | (bytes[0x3d]! << 8) | (bytes[0x3e]! << 16) | (bytes[0x3f]! << 24)) >>> 0;
  return off + 4 <= bytes.length && bytes[off] === 0x50 && bytes[off + 1] === 0x45 && bytes[off + 2] === 0 && bytes[off + 3] === 0;
}

/** Parse the PE headers and section table of `bytes` (file `file`), bounded by the buffer. */
export function parsePe(bytes: Uint8Array, file: string): PeFile {
  const r = new ByteReader(bytes, file, "PE/COFF");
  if (r.u16le("e_magic", 0) !== MZ) r.fail("e_magic", 0, "is not 'MZ'");
  const peOffset = r.u32le("e_lfanew", PE_E_LFANEW_OFFSET);
  if (r.u32le("PE signature", peOffset) !== PE_SIGNATURE) r.fail("PE signature", peOffset, "is not 'PE\\0\\0'");
  const coff = peOffset + 4;
  const machine = r.u16le("Machine", coff);
  const count = r.u16le("NumberOfSections", coff + 2);
  if (count > MAX_SECTIONS) r.fail("NumberOfSections", coff + 2, `${count} is more than ${MAX_SECTIONS}`);
  const optionalSize = r.u16le("SizeOfOptionalHeader", coff + 16);
  const optional = coff + COFF_HEADER_SIZE;
  let optionalMagic = 0;
  let sizeOfImage: number | undefined;
  if (optionalSize >= 2) {
    optionalMagic = r.u16le("OptionalHeader.Magic", optional);
    if (optionalMagic !== OPTIONAL_MAGIC_PE32 && optionalMagic !== OPTIONAL_MAGIC_PE32_PLUS) r.fail("OptionalHeader.Magic", optional, `0x${optionalMagic.toString(16)} is neither PE32 nor PE32+`);
    // SizeOfImage is at offset 56 in both PE32 and PE32+ optional headers.
    if (optionalSize >= 60) sizeOfImage = r.u32le("OptionalHeader.SizeOfImage", optional + 56);
  }
  const table = optional + optionalSize;
  r.require("section table", table, count * SECTION_HEADER_SIZE);
  const sections: PeSection[] = [];
  let rawEnd = table + count * SECTION_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const at = table + i * SECTION_HEADER_SIZE;
    const nameBytes = r.slice(`section[${i}].Name`, at, 8);
    const nul = nameBytes.indexOf(0);
    const name = String.fromCharCode(...nameBytes.subarray(0, nul < 0 ? 8 : nul));
    const section: PeSection = {
      name,
      virtualSize: r.u32le(`section[${i}].VirtualSize`, at + 8),
      virtualAddress: r.u32le(`section[${i}].VirtualAddress`, at + 12),
      rawSize: r.u32le(`section[${i}].SizeOfRawData`, at + 16),
      rawOffset: r.u32le(`section[${i}].PointerToRawData`, at + 20),
    };
    if (section.rawSize > 0) rawEnd = Math.max(rawEnd, section.rawOffset + section.rawSize);
    sections.push(section);
  }
  return { machine, peOffset, optionalMagic, sizeOfImage, sections, rawEnd };
}

/** The bytes of a section (VirtualSize of them, which excludes file-alignment padding), checked against the file. */
export function peSectionData(bytes: Uint8Array, file: string, section: PeSection, index: number): Uint8Array {
  const r = new ByteReader(bytes, file, "PE/COFF");
  const length = section.virtualSize === 0 ? section.rawSize : Math.min(section.virtualSize, section.rawSize);
  return r.slice(`section[${index}] ${section.name} data`, section.rawOffset, length);
}
