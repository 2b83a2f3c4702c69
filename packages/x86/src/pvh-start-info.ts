/**
 * The Xen PVH start info a loader hands over in %ebx (xen/include/public/
 * arch-x86/hvm/start_info.h, version 1), with its module list, memory map and
 * command lines, laid out in pages the loader places:
 *   page 0: hvm_start_info @0, hvm_modlist_entry[] @0x40, hvm_memmap_table_entry[] @0x100
 *   page 1: the kernel command line, then each module's command line (NUL-terminated)
 */
import { FormatError, ValidationError, checkedAdd64, fitsUnsigned, hex, type MemoryRange } from "@handoff/core";
import { e820TypeOf } from "./e820.js";
import { XEN_HVM_START_MAGIC_VALUE } from "./pvh-state.js";

const SPEC = "xen public/arch-x86/hvm/start_info.h";
const PAGE = 0x1000;

/** sizeof(struct hvm_start_info) for version 1 (magic..reserved). */
export const HVM_START_INFO_SIZE = 56;
/** sizeof(struct hvm_modlist_entry): paddr, size, cmdline_paddr, reserved (u64 each). */
export const HVM_MODLIST_ENTRY_SIZE = 32;
/** sizeof(struct hvm_memmap_table_entry): addr u64, size u64, type u32, reserved u32. */
export const HVM_MEMMAP_ENTRY_SIZE = 24;
/** Offset of rsdp_paddr in hvm_start_info (the stub writes the platform's value there at run time). */
export const START_INFO_RSDP_OFFSET = 32;

/** hvm_start_info field offsets (start_info.h). */
const F = { magic: 0, version: 4, flags: 8, nr_modules: 12, modlist_paddr: 16, cmdline_paddr: 24, rsdp_paddr: 32, memmap_paddr: 40, memmap_entries: 48, reserved: 52 } as const;
const MODLIST_OFFSET = 0x40;
const MEMMAP_OFFSET = 0x100;
/** Entries that fit the rest of page 0 after the module list. */
const MAX_MEMMAP_ENTRIES = (PAGE - MEMMAP_OFFSET) / HVM_MEMMAP_ENTRY_SIZE;
const MAX_MODULES = (MEMMAP_OFFSET - MODLIST_OFFSET) / HVM_MODLIST_ENTRY_SIZE;

/** One module (initrd) for the module list, with its own command line when given. */
export interface PvhModule {
  readonly paddr: bigint;
  readonly size: bigint;
  readonly cmdline?: string;
}

/** What goes into the start info. */
export interface PvhStartInfoRequest {
  /** Page-aligned physical address of the two pages. */
  readonly base: bigint;
  readonly cmdline: string;
  readonly modules: readonly PvhModule[];
  readonly memmap: readonly MemoryRange[];
  /** rsdp_paddr as planned (0 when the stub fills it from the loader at run time). */
  readonly rsdpPaddr: bigint;
}

/** The start info as built (or read back): every field by its start_info.h name. */
export interface PvhStartInfo {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  readonly nr_modules: number;
  readonly modlist_paddr: bigint;
  readonly cmdline_paddr: bigint;
  readonly rsdp_paddr: bigint;
  readonly memmap_paddr: bigint;
  readonly memmap_entries: number;
  readonly reserved: number;
  readonly cmdline: string;
  readonly modlist: readonly { readonly paddr: bigint; readonly size: bigint; readonly cmdline_paddr: bigint; readonly reserved: bigint; readonly cmdline: string | null }[];
  readonly memmap: readonly { readonly addr: bigint; readonly size: bigint; readonly type: number; readonly reserved: number }[];
}

const utf8 = new TextEncoder();

/** Build the two pages of start info; `fields` is what a reader at `base` will find. */
export function buildPvhStartInfo(r: PvhStartInfoRequest): { bytes: Uint8Array; fields: PvhStartInfo } {
  if (r.base % BigInt(PAGE) !== 0n || !fitsUnsigned(r.base + 2n * BigInt(PAGE), 32)) throw new ValidationError("hvm_start_info", `base ${hex(r.base)} is not a page below 4 GiB`);
  if (r.modules.length > MAX_MODULES) throw new ValidationError("hvm_start_info", `${r.modules.length} modules; at most ${MAX_MODULES} fit`);
  if (r.memmap.length > MAX_MEMMAP_ENTRIES) throw new ValidationError("hvm_start_info", `${r.memmap.length} memory map entries; at most ${MAX_MEMMAP_ENTRIES} fit`);
  const bytes = new Uint8Array(2 * PAGE);
  const v = new DataView(bytes.buffer);
  // Command lines: kernel first, then each module's, NUL-terminated, in page 1.
  let at = PAGE;
  const putString = (text: string, what: string): bigint => {
    const s = utf8.encode(text);
    if (s.includes(0)) throw new ValidationError(what, "contains a NUL byte");
    if (at + s.length + 1 > 2 * PAGE) throw new ValidationError(what, `command lines exceed the ${PAGE}-byte page they share`);
    bytes.set(s, at);
    const addr = r.base + BigInt(at);
    at += s.length + 1;
    return addr;
  };
  const cmdlinePaddr = putString(r.cmdline, "command line");
  const modlist = r.modules.map((m, i) => {
    checkedAdd64(m.paddr, m.size, `module ${i}`);
    const cmdline_paddr = m.cmdline === undefined ? 0n : putString(m.cmdline, `module ${i} command line`);
    const o = MODLIST_OFFSET + i * HVM_MODLIST_ENTRY_SIZE;
    v.setBigUint64(o, m.paddr, true);
    v.setBigUint64(o + 8, m.size, true);
    v.setBigUint64(o + 16, cmdline_paddr, true);
    return { paddr: m.paddr, size: m.size, cmdline_paddr, reserved: 0n, cmdline: m.cmdline ?? null };
  });
  const memmap = r.memmap.map((m, i) => {
    const o = MEMMAP_OFFSET + i * HVM_MEMMAP_ENTRY_SIZE;
    // XEN_HVM_MEMMAP_TYPE_* are the e820 values (start_info.h).
    const type = e820TypeOf(m.type);
    v.setBigUint64(o, m.start, true);
    v.setBigUint64(o + 8, m.size, true);
    v.setUint32(o + 16, type, true);
    return { addr: m.start, size: m.size, type, reserved: 0 };
  });
  const fields: PvhStartInfo = {
    magic: XEN_HVM_START_MAGIC_VALUE,
    version: 1,
    flags: 0,
    nr_modules: modlist.length,
    modlist_paddr: modlist.length ? r.base + BigInt(MODLIST_OFFSET) : 0n,
    cmdline_paddr: cmdlinePaddr,
    rsdp_paddr: r.rsdpPaddr,
    memmap_paddr: r.base + BigInt(MEMMAP_OFFSET),
    memmap_entries: memmap.length,
    reserved: 0,
    cmdline: r.cmdline,
    modlist,
    memmap,
  };
  v.setUint32(F.magic, fields.magic, true);
  v.setUint32(F.version, fields.version, true);
  v.setUint32(F.flags, fields.flags, true);
  v.setUint32(F.nr_modules, fields.nr_modules, true);
  v.setBigUint64(F.modlist_paddr, fields.modlist_paddr, true);
  v.setBigUint64(F.cmdline_paddr, fields.cmdline_paddr, true);
  v.setBigUint64(F.rsdp_paddr, fields.rsdp_paddr, true);
  v.setBigUint64(F.memmap_paddr, fields.memmap_paddr, true);
  v.setUint32(F.memmap_entries, fields.memmap_entries, true);
  return { bytes, fields };
}

/**
 * Read a start info back from guest memory: `memory` holds the bytes from
 * physical address `base` on. Every pointer must land inside `memory`; counts
 * are bounded by what fits before anything is read (a hostile or torn
 * structure is a FormatError naming the field and its offset).
 */
export function decodePvhStartInfo(memory: Uint8Array, base: bigint, file = "hvm_start_info"): PvhStartInfo {
  const v = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  const fail = (field: string, offset: number, reason: string): never => {
    throw new FormatError(file, "hvm_start_info", field, offset, reason);
  };
  if (memory.length < HVM_START_INFO_SIZE) fail("magic", 0, `${memory.length} bytes; the structure is ${HVM_START_INFO_SIZE}`);
  const magic = v.getUint32(F.magic, true);
  if (magic !== XEN_HVM_START_MAGIC_VALUE) fail("magic", F.magic, `${hex(BigInt(magic))} is not ${hex(BigInt(XEN_HVM_START_MAGIC_VALUE))} (${SPEC})`);
  const version = v.getUint32(F.version, true);
  if (version < 1) fail("version", F.version, `version ${version} has no memory map; this reader needs 1`);
  const offsetOf = (paddr: bigint, length: number, field: string, at: number): number => {
    const rel = paddr - base;
    if (rel < 0n || rel + BigInt(length) > BigInt(memory.length)) fail(field, at, `${hex(paddr)}+${hex(BigInt(length))} is outside the ${memory.length} bytes read from ${hex(base)}`);
    return Number(rel);
  };
  const cString = (paddr: bigint, field: string, at: number): string => {
    const o = offsetOf(paddr, 1, field, at);
    const end = memory.indexOf(0, o);
    if (end < 0) fail(field, at, `string at ${hex(paddr)} has no NUL within the bytes read`);
    return new TextDecoder().decode(memory.subarray(o, end));
  };
  const nr = v.getUint32(F.nr_modules, true);
  const modlistPaddr = v.getBigUint64(F.modlist_paddr, true);
  const entries = v.getUint32(F.memmap_entries, true);
  const memmapPaddr = v.getBigUint64(F.memmap_paddr, true);
  const modlistAt = nr ? offsetOf(modlistPaddr, nr * HVM_MODLIST_ENTRY_SIZE, "modlist_paddr", F.modlist_paddr) : 0;
  const memmapAt = entries ? offsetOf(memmapPaddr, entries * HVM_MEMMAP_ENTRY_SIZE, "memmap_paddr", F.memmap_paddr) : 0;
  const cmdlinePaddr = v.getBigUint64(F.cmdline_paddr, true);
  return {
    magic,
    version,
    flags: v.getUint32(F.flags, true),
    nr_modules: nr,
    modlist_paddr: modlistPaddr,
    cmdline_paddr: cmdlinePaddr,
    rsdp_paddr: v.getBigUint64(F.rsdp_paddr, true),
    memmap_paddr: memmapPaddr,
    memmap_entries: entries,
    reserved: v.getUint32(F.reserved, true),
    cmdline: cmdlinePaddr === 0n ? "" : cString(cmdlinePaddr, "cmdline_paddr", F.cmdline_paddr),
    modlist: Array.from({ length: nr }, (_, i) => {
      const o = modlistAt + i * HVM_MODLIST_ENTRY_SIZE;
      const cmdline_paddr = v.getBigUint64(o + 16, true);
      return { paddr: v.getBigUint64(o, true), size: v.getBigUint64(o + 8, true), cmdline_paddr, reserved: v.getBigUint64(o + 24, true), cmdline: cmdline_paddr === 0n ? null : cString(cmdline_paddr, `modlist[${i}].cmdline_paddr`, o + 16) };
    }),
    memmap: Array.from({ length: entries }, (_, i) => {
      const o = memmapAt + i * HVM_MEMMAP_ENTRY_SIZE;
      return { addr: v.getBigUint64(o, true), size: v.getBigUint64(o + 8, true), type: v.getUint32(o + 16, true), reserved: v.getUint32(o + 20, true) };
    }),
  };
}
