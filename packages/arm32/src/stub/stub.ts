import type { IndirectionListRef } from "@handoff/arm";
import { StubImage } from "@handoff/core/link";
import { writeVerifyTable, type SegmentCheck } from "@handoff/core/kexec";
import { ValidationError, type HandoffState } from "@handoff/core";
import { ARM32_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

/** The assembled AArch32 hand-off stub (code and symbols), before its data block is filled. */
export const ARM32_HANDOFF_STUB = ARM32_HANDOFF_STUB_CODE;

/**
 * The AArch32 hand-off stub with its data block filled from `state`: SCTLR
 * (and HSCTLR), the CPSR to enter with and R0..R15 (R15 = entry). A HYP
 * `state` needs a CPU started in HYP (the stub can only drop from HYP to SVC).
 * `atHyp`, the same entry in HYP mode, is what a stub running in HYP enters
 * with instead (kexec from a kernel booted in HYP), with its HSCTLR.
 */
export function buildArm32Stub(state: HandoffState, list: IndirectionListRef, check: SegmentCheck = { regions: [] }, atHyp?: HandoffState): StubImage {
  if (state.arch !== "arm32") throw new ValidationError("arm32 hand-off stub", `state is for ${state.arch}`);
  const r = state.registers;
  const cpsr = r.get("cpsr");
  const mode = cpsr & 0x1fn;
  if (mode !== 0x13n && mode !== 0x1an) throw new ValidationError("arm32 hand-off stub", `CPSR 0x${cpsr.toString(16)} is neither SVC nor HYP mode`);
  if (cpsr & 0x20n) throw new ValidationError("arm32 hand-off stub", "the stub enters ARM state (CPSR.T clear)");
  const stub = new StubImage("arm32 hand-off stub", ARM32_HANDOFF_STUB_CODE);
  stub.write("hd_list_head", list.head, 4).write("hd_max_steps", list.maxSteps, 4);
  stub.write("hd_sctlr", r.get("sctlr"), 4).write("hd_cpsr", cpsr, 4).write("hd_hsctlr", r.get("hsctlr"), 4);
  for (let i = 0; i <= 15; i++) stub.write("hd_regs", r.get(`r${i}`), 4, i);
  if (atHyp !== undefined) {
    const h = atHyp.registers;
    if ((h.get("cpsr") & 0x1fn) !== 0x1an) throw new ValidationError("arm32 hand-off stub", `the HYP alternative's CPSR 0x${h.get("cpsr").toString(16)} is not HYP mode`);
    for (let i = 0; i <= 15; i++) if (h.get(`r${i}`) !== r.get(`r${i}`)) throw new ValidationError("arm32 hand-off stub", `the HYP alternative differs from the entry in r${i}`);
    stub.write("hd_cpsr_hyp", h.get("cpsr"), 4).write("hd_hsctlr", h.get("hsctlr"), 4);
  }
  writeVerifyTable(stub, check.regions, 4).write("hd_verify_uart", check.console ?? 0n, 4);
  return stub;
}
