import { StubImage } from "@handoff/core/link";
import { writeVerifyTable, type SegmentCheck } from "@handoff/core/kexec";
import { ValidationError, type HandoffState } from "@handoff/core";
import { checkSegmentsAgainstGdt, type HandoffGdt } from "@handoff/x86";
import { X86_32_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

/** Where the stub finds its indirection list, and how many entries it may walk. */
export interface IndirectionListRef {
  readonly head: bigint;
  readonly maxSteps: bigint;
}

/** The assembled 32-bit x86 hand-off stub (code and symbols), before its data block is filled. */
export const X86_32_HANDOFF_STUB = X86_32_HANDOFF_STUB_CODE;

/** Offset of the GDT inside the stub: GDTR base = stub address + this. */
export const X86_32_STUB_GDT_OFFSET = X86_32_HANDOFF_STUB_CODE.symbols.hd_gdt;

/**
 * The IA-32 hand-off stub with its data block filled from `state` (every GPR,
 * EFLAGS, CR0/2/3/4, segment selectors, IDTR, the far jump's CS:EIP) and `gdt`.
 * The state's segment caches must be what `gdt` holds at those selectors.
 */
export function buildX86_32Stub(state: HandoffState, list: IndirectionListRef, gdt: HandoffGdt, check: SegmentCheck = { regions: [] }): StubImage {
  if (state.arch !== "x86_32") throw new ValidationError("x86_32 hand-off stub", `state is for ${state.arch}`);
  const r = state.registers;
  if (r.get("cr0") & 0x8000_0000n) throw new ValidationError("x86_32 hand-off stub", "this stub enters with paging off (CR0.PG clear)");
  if (r.get("cs") !== BigInt(gdt.selectors.code)) throw new ValidationError("x86_32 hand-off stub", "state CS is not the GDT's code selector");
  checkSegmentsAgainstGdt(r, gdt, "x86_32 hand-off stub");
  const stub = new StubImage("x86_32 hand-off stub", X86_32_HANDOFF_STUB_CODE);
  stub.write("hd_list_head", list.head, 4).write("hd_max_steps", list.maxSteps, 4);
  for (const cr of ["cr0", "cr2", "cr3", "cr4"]) stub.write(`hd_${cr}`, r.get(cr), 4);
  stub.write("hd_eflags", r.get("eflags"), 4);
  for (const g of ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp"]) stub.write(`hd_${g}`, r.get(g), 4);
  for (const s of ["ds", "es", "fs", "gs", "ss", "tr"]) stub.write(`hd_${s}`, r.get(s), 2);
  stub.write("hd_ldtr", r.get("ldtr"), 2);
  stub.write("hd_idtr", r.get("idtr_limit"), 2).write("hd_idtr", r.get("idtr_base") & 0xffffn, 2, 1).write("hd_idtr", r.get("idtr_base") >> 16n, 2, 2);
  stub.write("hd_gdtr", BigInt(gdt.limit), 2);
  stub.writeBytes("hd_gdt", gdt.bytes, "hd_gdt_end");
  // The check runs in 32-bit mode on both widths (verify32.S): 4-byte table words.
  writeVerifyTable(stub, check.regions, 4).write("hd_serial_port", check.console ?? 0n, 2);
  stub.write("hd_entry", r.get("eip"), 4).write("hd_cs", r.get("cs"), 2);
  return stub;
}
