/**
 * A crash dump as a capture kernel exposes it (/proc/vmcore, or a copy of it):
 * an ET_CORE ELF whose PT_LOADs hold the crashed kernel's RAM and whose notes
 * hold one NT_PRSTATUS per CPU (owner "CORE") and the kernel's VMCOREINFO note
 * (owner "VMCOREINFO", text lines `KEY=VALUE`, kernel/crash_core.c).
 */
import { U64_LIMIT } from "../bits.js";
import { ByteReader, latin1 } from "../byte-reader.js";
import { FormatError } from "../errors.js";
import { ET_CORE, PN_XNUM, elfTypeName, hasElfMagic, readElfHeader, type ElfHeader } from "../elf/elf-header.js";
import { readNotes, type ElfNote, type NoteBudget } from "../elf/notes.js";
import { PT_LOAD, PT_NOTE, readProgramHeaders, type ProgramHeader } from "../elf/program-headers.js";
import { DEFAULT_PARSE_LIMITS, type ImageInput, type ParseLimits } from "../image-format.js";

/** Note type of a CPU's register dump (owner "CORE"). */
export const NT_PRSTATUS = 1;
/** Owner name of the vmcoreinfo note. */
export const VMCOREINFO_NOTE_NAME = "VMCOREINFO";
/** Most lines read from a vmcoreinfo note (the kernel writes a few hundred in one page). */
const MAX_VMCOREINFO_LINES = 8192;

/** The vmcoreinfo note's text, by key. */
export interface Vmcoreinfo {
  /** `OSRELEASE`: the crashed kernel's `uname -r`. */
  readonly osRelease?: string;
  /** `PAGESIZE` in bytes. */
  readonly pageSize?: number;
  /** `SYMBOL(name)=hex` lines: addresses of the crashed kernel's symbols. */
  readonly symbols: ReadonlyMap<string, bigint>;
  /** Every `KEY=VALUE` line in order of appearance (first wins on repeats). */
  readonly fields: ReadonlyMap<string, string>;
}

/** One PT_LOAD of the dump: crashed-kernel RAM at `paddr`, `size` bytes at file `offset`. */
export interface VmcoreLoad {
  readonly paddr: bigint;
  readonly vaddr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
}

/** What a dump holds. */
export interface Vmcore {
  readonly file: string;
  readonly elfClass: 32 | 64;
  readonly machine: number;
  readonly loads: readonly VmcoreLoad[];
  /** Sum of the loads' sizes: the RAM the dump covers. */
  readonly ramBytes: bigint;
  readonly notes: readonly { readonly name: string; readonly type: number; readonly size: number; readonly offset: number }[];
  /** NT_PRSTATUS notes: one per CPU that was online at the crash. */
  readonly cpus: number;
  readonly vmcoreinfo?: Vmcoreinfo;
}

/** True when `bytes` (at least the first 18 bytes of a file) start an ELF core file. Never throws. */
export function isElfCore(bytes: Uint8Array): boolean {
  if (bytes.length < 18 || !hasElfMagic(bytes)) return false;
  const type = bytes[5] === 2 ? (bytes[16]! << 8) | bytes[17]! : bytes[16]! | (bytes[17]! << 8);
  return type === ET_CORE;
}

/**
 * A dump read piecewise: dumps are as large as the crashed machine's RAM, so only
 * the headers and notes are read, never the memory. `readAt` returns exactly
 * `size` bytes at `offset` (the caller bounds-checks against `size` first).
 */
export interface VmcoreSource {
  readonly path: string;
  readonly size: bigint;
  /** Exactly `size` bytes at `offset`. */
  readAt(offset: bigint, size: number): Uint8Array;
}

/** A {@link VmcoreSource} over bytes already in memory. */
export function vmcoreSourceOf(input: ImageInput): VmcoreSource {
  return { path: input.path, size: BigInt(input.bytes.length), readAt: (o, n) => input.bytes.subarray(Number(o), Number(o) + n) };
}

/** Most bytes of notes read from one dump (a CPU's notes are under 1 KiB; vmcoreinfo is one page). */
const MAX_NOTE_BYTES = 16 * 1024 * 1024;

/** Parse a dump's headers and notes; its memory is not read. */
export function readVmcore(source: VmcoreSource, limits: Partial<ParseLimits> = {}): Vmcore {
  const all = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const head = source.readAt(0n, Number(source.size < 64n ? source.size : 64n));
  // e_ehsize is not checked: dumps written by QEMU 7.2 say 8; the class fixes the header size anyway.
  const { header, reader } = readElfHeader(head, source.path, { checkEhsize: false });
  if (header.type !== ET_CORE) throw reader.error("e_type", 16, `${elfTypeName(header.type)} is not a crash dump (expected ET_CORE)`);
  const phdrs = readDumpProgramHeaders(source, header, all);
  const loads = phdrs.filter((p) => p.type === PT_LOAD).map(({ paddr, vaddr, offset, memsz }) => ({ paddr, vaddr, offset, size: memsz }));
  const notes: ElfNote[] = [];
  const budget: NoteBudget = { max: all.maxNotes, count: 0 };
  let noteBytes = 0;
  for (const ph of phdrs) {
    if (ph.type !== PT_NOTE || ph.filesz === 0n) continue;
    noteBytes += Number(ph.filesz);
    if (noteBytes > MAX_NOTE_BYTES) throw reader.error(`phdr[${ph.index}].p_filesz`, ph.headerOffset, `notes exceed ${MAX_NOTE_BYTES} bytes in total`);
    // Read the note area on its own, then report offsets in the file's terms.
    const area = new ByteReader(source.readAt(ph.offset, Number(ph.filesz)), source.path, reader.format, reader.littleEndian);
    const base = Number(ph.offset);
    for (const n of readNotesAt(area, base, `PT_NOTE[${ph.index}]`, budget)) notes.push(n);
  }
  const info = notes.find((n) => n.name === VMCOREINFO_NOTE_NAME);
  return {
    file: source.path,
    elfClass: header.elfClass,
    machine: header.machine,
    loads,
    ramBytes: loads.reduce((sum, l) => sum + l.size, 0n),
    notes: notes.map((n) => ({ name: n.name, type: n.type, size: n.desc.length, offset: n.offset })),
    cpus: notes.filter((n) => n.name === "CORE" && n.type === NT_PRSTATUS).length,
    ...(info ? { vmcoreinfo: parseVmcoreinfo(info, reader) } : {}),
  };
}

function readNotesAt(area: ByteReader, base: number, source: string, budget: NoteBudget): ElfNote[] {
  try {
    return readNotes(area, 0, area.length, source, budget).map((n) => ({ ...n, offset: n.offset + base, descOffset: n.descOffset + base }));
  } catch (e) {
    if (e instanceof FormatError && typeof e.offset === "number") {
      throw new FormatError(e.file, e.format, e.field, e.offset + base, e.reason, { cause: e });
    }
    throw e;
  }
}

/** Most of a dump's beginning read to reach its program header table (dumps put it right after the ELF header). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/**
 * The program header table, read with the file's beginning so that core's one
 * program-header reader serves, each entry checked against the dump's whole size
 * without reading the memory it names.
 */
function readDumpProgramHeaders(source: VmcoreSource, header: ElfHeader, limits: ParseLimits): ProgramHeader[] {
  const bits = header.elfClass;
  const fail = (field: string, offset: number, reason: string) => new FormatError(source.path, `ELF${bits}`, field, offset, reason);
  if (header.phnum === 0 || header.phnum === PN_XNUM) {
    throw fail("e_phnum", bits === 64 ? 56 : 44, header.phnum === 0 ? "is 0: a dump describes its memory with program headers" : "extended numbering (PN_XNUM) is not supported for dumps");
  }
  const tableEnd = header.phoff + BigInt(header.phnum) * BigInt(header.phentsize);
  const prefixSize = tableEnd < source.size ? tableEnd : source.size;
  if (prefixSize > BigInt(MAX_HEADER_BYTES)) {
    throw fail("e_phoff", bits === 64 ? 32 : 28, `program header table ends at 0x${tableEnd.toString(16)}, more than ${MAX_HEADER_BYTES} bytes into the file`);
  }
  const prefix = new ByteReader(source.readAt(0n, Number(prefixSize)), source.path, `ELF${bits}`, header.endianness === "little");
  // A dump is as large as the crashed machine's RAM: no per-segment memory limit.
  const dumpLimits = { ...limits, maxSegmentMemory: U64_LIMIT };
  return readProgramHeaders(prefix, header, dumpLimits, () => header.phnum, source.size);
}

/** Decode a vmcoreinfo note's `KEY=VALUE` lines; a malformed known field is a FormatError at its offset. */
export function parseVmcoreinfo(note: Pick<ElfNote, "desc" | "descOffset">, reader: ByteReader): Vmcoreinfo {
  const text = latin1(note.desc);
  const fields = new Map<string, string>();
  const symbols = new Map<string, bigint>();
  let lineStart = 0;
  const lines = text.split("\n");
  if (lines.length > MAX_VMCOREINFO_LINES) {
    throw reader.error("VMCOREINFO", note.descOffset, `${lines.length} lines exceed the limit of ${MAX_VMCOREINFO_LINES}`);
  }
  for (const raw of lines) {
    const line = raw.replace(/\0+$/, "");
    const at = note.descOffset + lineStart;
    lineStart += raw.length + 1;
    const eq = line.indexOf("=");
    if (line === "" || eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!fields.has(key)) fields.set(key, value);
    const sym = /^SYMBOL\((.+)\)$/.exec(key);
    if (sym) {
      if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(value)) throw reader.error(`VMCOREINFO ${key}`, at, `${JSON.stringify(value)} is not a hex address`);
      symbols.set(sym[1]!, BigInt(value.startsWith("0x") ? value : `0x${value}`));
    }
  }
  const pageText = fields.get("PAGESIZE");
  let pageSize: number | undefined;
  if (pageText !== undefined) {
    pageSize = Number(pageText);
    if (!/^[0-9]+$/.test(pageText) || !Number.isSafeInteger(pageSize) || pageSize === 0 || (pageSize & (pageSize - 1)) !== 0) {
      throw reader.error("VMCOREINFO PAGESIZE", note.descOffset + text.indexOf("PAGESIZE="), `${JSON.stringify(pageText)} is not a power-of-two page size`);
    }
  }
  const osRelease = fields.get("OSRELEASE");
  return { ...(osRelease !== undefined ? { osRelease } : {}), ...(pageSize !== undefined ? { pageSize } : {}), symbols, fields };
}
