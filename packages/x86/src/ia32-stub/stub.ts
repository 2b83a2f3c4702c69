import { StubImage } from "@handoff/core/link";
import { writeVerifyTable, type SegmentCheck } from "@handoff/core/kexec";
import { ValidationError, fitsUnsigned, type HandoffState } from "@handoff/core";
import type { HandoffGdt } from "../descriptors.js";
import { checkSegmentsAgainstGdt } from "../handoff-segments.js";
import { X86_32_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

/** Where the stub finds its indirection list, and how many entries it may walk. */
export interface IndirectionListRef {
  readonly head: bigint;
  readonly maxSteps: bigint;
}

/** The assembled IA-32 hand-off stub (code and symbols), before its data block is filled. */
export const X86_32_HANDOFF_STUB = X86_32_HANDOFF_STUB_CODE;

/** Offset of the GDT inside the stub: GDTR base = stub address + this. */
export const X86_32_STUB_GDT_OFFSET = X86_32_HANDOFF_STUB_CODE.symbols.hd_gdt;

const GPRS = ["ax", "bx", "cx", "dx", "si", "di", "bp", "sp"] as const;

/** Options of the IA-32 stub beyond the state: where to copy the PVH loader's rsdp_paddr (0 or absent: nowhere). */
export interface Ia32StubOptions {
  readonly rsdpDestination?: bigint;
  /** The segments the stub checks before it enters (none when absent: --no-verify, or a plan without one). */
  readonly check?: SegmentCheck;
}

/**
 * The IA-32 hand-off stub with its data block filled from `state` (every GPR,
 * EFLAGS, CR0/2/3/4, segment selectors, IDTR, the far jump's CS:EIP) and `gdt`.
 * The state's segment caches must be what `gdt` holds at those selectors. An
 * x86_64 state is accepted when it is a 32-bit entry (the PVH entry is 32-bit
 * code on both widths): its `rax`.. `rip`, `rflags` are written as their low
 * halves, and each must fit 32 bits, EFER must be zero.
 */
export function buildIa32Stub(state: HandoffState, list: IndirectionListRef, gdt: HandoffGdt, options: Ia32StubOptions = {}): StubImage {
  const what = `${state.arch} 32-bit hand-off stub`;
  if (state.arch !== "x86_32" && state.arch !== "x86_64") throw new ValidationError(what, `state is for ${state.arch}`);
  const wide = state.arch === "x86_64";
  const r = state.registers;
  const get = (name: string): bigint => {
    const value = r.get(name);
    if (!fitsUnsigned(value, 32)) throw new ValidationError(what, `${name} 0x${value.toString(16)} does not fit the 32-bit entry`);
    return value;
  };
  if (r.get("cr0") & 0x8000_0000n) throw new ValidationError(what, "this stub enters with paging off (CR0.PG clear)");
  if (wide && r.get("efer") !== 0n) throw new ValidationError(what, "a 32-bit entry has EFER zero");
  if (r.get("cs") !== BigInt(gdt.selectors.code)) throw new ValidationError(what, "state CS is not the GDT's code selector");
  checkSegmentsAgainstGdt(r, gdt, what);
  const stub = new StubImage(what, X86_32_HANDOFF_STUB_CODE);
  stub.write("hd_list_head", list.head, 4).write("hd_max_steps", list.maxSteps, 4);
  const rsdp = options.rsdpDestination ?? 0n;
  if (!fitsUnsigned(rsdp, 32) || rsdp % 8n !== 0n) throw new ValidationError(what, `rsdp destination 0x${rsdp.toString(16)} is not an 8-byte aligned 32-bit address`);
  stub.write("hd_rsdp_dst", rsdp, 4);
  for (const cr of ["cr0", "cr2", "cr3", "cr4"]) stub.write(`hd_${cr}`, get(cr), 4);
  stub.write("hd_eflags", get(wide ? "rflags" : "eflags"), 4);
  for (const g of GPRS) stub.write(`hd_e${g}`, get(`${wide ? "r" : "e"}${g}`), 4);
  for (const s of ["ds", "es", "fs", "gs", "ss", "tr"]) stub.write(`hd_${s}`, r.get(s), 2);
  stub.write("hd_ldtr", r.get("ldtr"), 2);
  const idtBase = get("idtr_base");
  stub.write("hd_idtr", r.get("idtr_limit"), 2).write("hd_idtr", idtBase & 0xffffn, 2, 1).write("hd_idtr", idtBase >> 16n, 2, 2);
  stub.write("hd_gdtr", BigInt(gdt.limit), 2);
  stub.writeBytes("hd_gdt", gdt.bytes, "hd_gdt_end");
  writeVerifyTable(stub, options.check?.regions ?? [], 4).write("hd_serial_port", options.check?.console ?? 0n, 2);
  stub.write("hd_entry", get(wide ? "rip" : "eip"), 4).write("hd_cs", r.get("cs"), 2);
  return stub;
}
