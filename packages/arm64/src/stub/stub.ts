import type { IndirectionListRef, StubCheckTables } from "@handoff/arm";
import { StubImage } from "@handoff/core/link";
import { writeVerifyTable, type SegmentCheck } from "@handoff/core/kexec";
import { ValidationError, type HandoffState } from "@handoff/core";
import { ARM64_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

/** The AArch64 stub's code (bytes and data-block offsets), as assembled from handoff-stub.S. */
export const ARM64_HANDOFF_STUB = ARM64_HANDOFF_STUB_CODE;

/**
 * The AArch64 hand-off stub with its data block filled from `state`: it runs
 * `list`, then enters `state.pc` with X0..X30, SP and PSTATE from the state and
 * SCTLR_ELx as the state says (ELx = PSTATE's exception level). With
 * `atEl2` (the same entry at EL2), a stub that finds itself running at EL2
 * enters at EL2 with that PSTATE and SCTLR_EL2 instead. With `tables`
 * ({@link arm64CheckTables}, the first of `check`'s regions) the stub checks
 * the other regions with the MMU and caches on over them.
 */
export function buildArm64Stub(state: HandoffState, list: IndirectionListRef, check: SegmentCheck = { regions: [] }, atEl2?: HandoffState, tables?: StubCheckTables): StubImage {
  if (state.arch !== "arm64") throw new ValidationError("arm64 hand-off stub", `state is for ${state.arch}`);
  const r = state.registers;
  const pstate = r.get("pstate");
  const el = (pstate >> 2n) & 3n;
  if (el !== 1n && el !== 2n) throw new ValidationError("arm64 hand-off stub", `PSTATE 0x${pstate.toString(16)} enters EL${el}; the stub enters EL1 or EL2`);
  const stub = new StubImage("arm64 hand-off stub", ARM64_HANDOFF_STUB_CODE);
  stub.write("hd_list_head", list.head, 8).write("hd_max_steps", list.maxSteps, 8);
  stub.write("hd_entry", r.get("pc"), 8).write("hd_pstate", pstate, 8);
  stub.write("hd_sctlr", r.get(el === 2n ? "sctlr_el2" : "sctlr_el1"), 8);
  stub.write("hd_sp", r.get("sp"), 8);
  if (el === 2n) stub.write("hd_sctlr_el1", r.get("sctlr_el1"), 8);
  for (let i = 0; i <= 30; i++) stub.write("hd_regs", r.get(`x${i}`), 8, i);
  if (atEl2 !== undefined) {
    // The same entry at EL2, taken when the stub finds itself running at EL2 (kexec from a kernel booted there).
    const p2 = atEl2.registers.get("pstate");
    if (((p2 >> 2n) & 3n) !== 2n) throw new ValidationError("arm64 hand-off stub", `the EL2 alternative's PSTATE 0x${p2.toString(16)} is not EL2`);
    for (const name of ["pc", "sp", ...Array.from({ length: 31 }, (_, i) => `x${i}`)]) {
      if (atEl2.registers.get(name) !== r.get(name)) throw new ValidationError("arm64 hand-off stub", `the EL2 alternative differs from the entry in ${name}`);
    }
    stub.write("hd_pstate_el2", p2, 8).write("hd_sctlr_el2", atEl2.registers.get("sctlr_el2"), 8);
  }
  writeVerifyTable(stub, check.regions, 8).write("hd_verify_uart", check.console ?? 0n, 8);
  if (tables !== undefined) {
    const first = check.regions[0];
    if (first === undefined || first.start !== tables.at || first.len < BigInt(tables.bytes.length)) throw new ValidationError("arm64 hand-off stub", "the check tables must be the first region checked (with the MMU still off)");
    for (const [name, value] of Object.entries(tables.registers)) stub.write(`hd_mmu_${name}`, value, 8);
  }
  return stub;
}
