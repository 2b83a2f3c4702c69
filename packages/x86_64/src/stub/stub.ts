import { StubImage } from "@handoff/core/link";
import { writeVerifyTable, type SegmentCheck } from "@handoff/core/kexec";
import { ValidationError, type HandoffState } from "@handoff/core";
import { checkSegmentsAgainstGdt, type HandoffGdt } from "@handoff/x86";
import { X86_64_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

/** Where the stub finds its indirection list, and how many entries it may walk. */
export interface IndirectionListRef {
  readonly head: bigint;
  readonly maxSteps: bigint;
}

/** The assembled x86-64 hand-off stub (code and symbols), before its data block is filled. */
export const X86_64_HANDOFF_STUB = X86_64_HANDOFF_STUB_CODE;
/** Offset of the GDT inside the stub: GDTR base = stub address + this. */
export const X86_64_STUB_GDT_OFFSET = X86_64_HANDOFF_STUB_CODE.symbols.hd_gdt;

const GPRS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

/**
 * The Intel 64 hand-off stub with its data block filled from `state` (every
 * GPR, RFLAGS, RIP, CR0/2/3/4, EFER, selectors, IDTR) and `gdt`.
 */
export function buildX86_64Stub(state: HandoffState, list: IndirectionListRef, gdt: HandoffGdt, check: SegmentCheck = { regions: [] }): StubImage {
  if (state.arch !== "x86_64") throw new ValidationError("x86_64 hand-off stub", `state is for ${state.arch}`);
  const r = state.registers;
  if ((r.get("cr0") & 0x8000_0001n) !== 0x8000_0001n || (r.get("efer") & 0x100n) === 0n || (r.get("cr4") & 0x20n) === 0n) {
    throw new ValidationError("x86_64 hand-off stub", "this stub enters long mode: the state needs CR0.PG|PE, CR4.PAE and EFER.LME");
  }
  if (r.get("cs") !== BigInt(gdt.selectors.code)) throw new ValidationError("x86_64 hand-off stub", "state CS is not the GDT's code selector");
  checkSegmentsAgainstGdt(r, gdt, "x86_64 hand-off stub");
  const stub = new StubImage("x86_64 hand-off stub", X86_64_HANDOFF_STUB_CODE);
  stub.write("hd_list_head", list.head, 8).write("hd_max_steps", list.maxSteps, 4);
  stub.write("hd_cr0", r.get("cr0"), 4);
  for (const k of ["cr2", "cr3", "cr4", "efer", "rflags", "rip"]) stub.write(`hd_${k}`, r.get(k), 8);
  for (const g of GPRS) stub.write(`hd_${g}`, r.get(g), 8);
  for (const s of ["cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr"]) stub.write(`hd_${s}`, r.get(s), 2);
  stub.write("hd_idtr", r.get("idtr_limit"), 2);
  const idtBase = r.get("idtr_base");
  for (let i = 0; i < 4; i++) stub.write("hd_idtr", (idtBase >> BigInt(16 * i)) & 0xffffn, 2, 1 + i);
  stub.write("hd_gdtr", BigInt(gdt.limit), 2);
  stub.writeBytes("hd_gdt", gdt.bytes, "hd_gdt_end");
  // The check runs in 32-bit mode on both widths (verify32.S): 4-byte table words.
  writeVerifyTable(stub, check.regions, 4).write("hd_serial_port", check.console ?? 0n, 2);
  return stub;
}
