/**
 * The ELF core header a capture (kdump) kernel finds at `elfcorehdr=`: an
 * ET_CORE ELF header and program headers only, no data. Linux's
 * fs/proc/vmcore.c turns it into /proc/vmcore: every PT_NOTE names a note area
 * in the crashed kernel's memory (p_offset = p_paddr = its physical address)
 * that it reads and merges, every PT_LOAD a range of the crashed kernel's RAM
 * (p_offset = p_paddr = its start). vmcore refuses the header unless e_ehsize and
 * e_phentsize are exactly the class's struct sizes and e_phnum is non-zero
 * (`parse_crash_elf64_headers`), so this writer emits exactly that shape.
 */
import { hex, U64_LIMIT } from "../bits.js";
import { FormatError, ValidationError } from "../errors.js";
import { ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELF_MAGIC, ET_CORE, EV_CURRENT } from "../elf/elf-header.js";
import { EHDR32, EHDR32_SIZE, EHDR64, EHDR64_SIZE, EI_CLASS, EI_DATA, EI_VERSION, PHDR32, PHDR32_SIZE, PHDR64, PHDR64_SIZE, type Field } from "../elf/layout.js";
import { PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE } from "../elf/program-headers.js";
import { writeField } from "../link/relocator.js";
import { mergeRanges, subtractRange, type AddressRange } from "../memory-map.js";

/** A note area of the crashed kernel: the vmcoreinfo note or one CPU's crash_notes. */
export interface CrashNoteArea {
  /** Physical address of the note area. */
  readonly address: bigint;
  readonly size: bigint;
  /** Where it came from, for messages: `/sys/kernel/vmcoreinfo`, `cpu1/crash_notes`. */
  readonly source: string;
}

/** What the header describes. */
export interface CrashHeaderInput {
  readonly elfClass: 32 | 64;
  readonly endianness: "little" | "big";
  /** e_machine of the crashed kernel (EM_X86_64, EM_AARCH64...). */
  readonly machine: number;
  /** The crashed kernel's RAM that the dump covers (the crash region already taken out: see {@link crashDumpRanges}). */
  readonly ram: readonly AddressRange[];
  /** Note areas; vmcoreinfo first by convention (kexec-tools puts the per-CPU notes first; vmcore merges all). */
  readonly notes: readonly CrashNoteArea[];
  /**
   * Virtual address of physical 0 in the crashed kernel's linear map, when known:
   * p_vaddr = p_paddr + offset. Without it p_vaddr is 0 (vmcore itself reads p_offset only;
   * dump tools take virtual addresses from vmcoreinfo).
   */
  readonly linearMapOffset?: bigint;
}

/** The largest e_phnum without extended numbering (PN_XNUM is 0xffff). */
const MAX_PHNUM = 0xfffe;

/** The header as bytes, plus where each program header describes (for plans and messages). */
export interface CrashHeader {
  readonly bytes: Uint8Array;
  readonly notes: readonly CrashNoteArea[];
  readonly loads: readonly AddressRange[];
}

/** Build the ELF core header for `input`; every range is checked (non-empty, no wrap, fits the class). */
export function buildCrashElfHeader(input: CrashHeaderInput): CrashHeader {
  const bits = input.elfClass;
  const limit = bits === 64 ? U64_LIMIT : 1n << 32n;
  const loads = mergeRanges(input.ram);
  for (const r of input.ram) checkRange("crash header RAM range", r.start, r.end - r.start, limit, bits);
  input.notes.forEach((n) => checkRange(`crash header note ${n.source}`, n.address, n.size, limit, bits));
  const phnum = input.notes.length + loads.length;
  if (phnum === 0) throw new ValidationError("crash header", "no note areas and no RAM ranges: a capture kernel rejects an ELF core header with e_phnum 0");
  if (phnum > MAX_PHNUM) throw new ValidationError("crash header", `${phnum} program headers exceed ${MAX_PHNUM} (e_phnum without extended numbering)`);
  const le = input.endianness === "little";
  const ehsize = bits === 64 ? EHDR64_SIZE : EHDR32_SIZE;
  const phentsize = bits === 64 ? PHDR64_SIZE : PHDR32_SIZE;
  const bytes = new Uint8Array(ehsize + phnum * phentsize);
  writeElfHeader(bytes, input, phnum);
  const P = bits === 64 ? PHDR64 : PHDR32;
  let at = ehsize;
  const put = (type: number, flags: number, start: bigint, size: bigint, vaddr: bigint) => {
    const field = (f: Field, v: bigint) => writeField(bytes.subarray(at + f[0], at + f[0] + f[1]), v, le);
    field(P.p_type, BigInt(type));
    field(P.p_flags, BigInt(flags));
    field(P.p_offset, start);
    field(P.p_vaddr, vaddr);
    field(P.p_paddr, start);
    field(P.p_filesz, size);
    field(P.p_memsz, size);
    field(P.p_align, 0n);
    at += phentsize;
  };
  for (const n of input.notes) put(PT_NOTE, 0, n.address, n.size, 0n);
  for (const r of loads) put(PT_LOAD, PF_R | PF_W | PF_X, r.start, r.end - r.start, linearAddress(r.start, r.end - r.start, input.linearMapOffset, limit, bits));
  return { bytes, notes: input.notes, loads };
}

/**
 * The RAM a dump covers: System RAM minus the crash region(s) (the capture kernel
 * runs there, so its contents are not the crashed kernel's), sorted and merged.
 */
export function crashDumpRanges(systemRam: readonly AddressRange[], crashRegions: readonly AddressRange[]): AddressRange[] {
  let out = mergeRanges(systemRam);
  for (const c of crashRegions) out = out.flatMap((r) => subtractRange(r, c));
  return out;
}

function writeElfHeader(bytes: Uint8Array, input: CrashHeaderInput, phnum: number): void {
  const bits = input.elfClass;
  const le = input.endianness === "little";
  const E = bits === 64 ? EHDR64 : EHDR32;
  bytes.set(ELF_MAGIC, 0);
  bytes[EI_CLASS] = bits === 64 ? ELFCLASS64 : ELFCLASS32;
  bytes[EI_DATA] = le ? ELFDATA2LSB : ELFDATA2MSB;
  bytes[EI_VERSION] = EV_CURRENT;
  const field = (f: Field, v: number) => writeField(bytes.subarray(f[0], f[0] + f[1]), BigInt(v), le);
  field(E.e_type, ET_CORE);
  field(E.e_machine, input.machine);
  field(E.e_version, EV_CURRENT);
  // Program headers follow the ELF header directly; there are no sections.
  field(E.e_phoff, bits === 64 ? EHDR64_SIZE : EHDR32_SIZE);
  field(E.e_ehsize, bits === 64 ? EHDR64_SIZE : EHDR32_SIZE);
  field(E.e_phentsize, bits === 64 ? PHDR64_SIZE : PHDR32_SIZE);
  field(E.e_phnum, phnum);
}

function checkRange(subject: string, start: bigint, size: bigint, limit: bigint, bits: number): void {
  if (start < 0n || size <= 0n) throw new ValidationError(subject, `[${hex(start)}, +${hex(size)}) is empty or negative`);
  if (start + size > limit) throw new ValidationError(subject, `${hex(start)} + ${hex(size)} does not fit an ELF${bits} core header (ends past 2^${bits})`);
}

function linearAddress(start: bigint, size: bigint, offset: bigint | undefined, limit: bigint, bits: number): bigint {
  if (offset === undefined) return 0n;
  const v = start + offset;
  if (v + size > limit) throw new ValidationError("crash header linear map", `${hex(start)} + offset ${hex(offset)} wraps past 2^${bits}`);
  return v;
}

/** `/sys/kernel/vmcoreinfo`: "ADDRESS SIZE\n", both hex (kernel/ksysfs.c prints `%pa %x`). */
export function parseVmcoreinfoLocation(text: string, file: string): CrashNoteArea {
  const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s+(?:0x)?([0-9a-fA-F]+)\s*$/.exec(text);
  if (!m) throw new FormatError(file, "vmcoreinfo location", "address size", 0, `expected "ADDRESS SIZE" in hex, found ${JSON.stringify(text.slice(0, 60))}`);
  return { address: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`), source: file };
}

/**
 * One CPU's crash note area from sysfs: `cpuN/crash_notes` holds the physical
 * address in hex (`%llx`), `cpuN/crash_notes_size` its size in decimal (`%zu`),
 * drivers/base/cpu.c.
 */
export function parseCrashNotes(addressText: string, sizeText: string, file: string): CrashNoteArea {
  const a = /^\s*(?:0x)?([0-9a-fA-F]+)\s*$/.exec(addressText);
  if (!a) throw new FormatError(file, "crash_notes", "address", 0, `expected a hex address, found ${JSON.stringify(addressText.slice(0, 40))}`);
  const s = /^\s*([0-9]+)\s*$/.exec(sizeText);
  if (!s) throw new FormatError(`${file}_size`, "crash_notes_size", "size", 0, `expected a decimal size, found ${JSON.stringify(sizeText.slice(0, 40))}`);
  return { address: BigInt(`0x${a[1]}`), size: BigInt(s[1]!), source: file };
}
