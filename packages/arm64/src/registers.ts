import type { NarrowMode, RegisterSpec } from "@handoff/core";

const X = Array.from({ length: 31 }, (_, i) => `x${i}`);

/**
 * AArch64 registers a hand-off sets (Arm ARM DDI 0487, C1.2.5 registers in
 * AArch64 state, D1.2 PSTATE, D17 system registers). A write to Wn zero-extends
 * into Xn (C1.2.5: "writes to a W register ... set the top 32 bits to zero").
 */
export const ARM64_REGISTERS: readonly RegisterSpec[] = [
  ...X.map((name, i): RegisterSpec => ({ name, width: 64, kind: "gpr", description: i === 30 ? "link register" : undefined })),
  { name: "sp", width: 64, kind: "sp", description: "stack pointer of the current exception level (SP_ELx selected by PSTATE.SP)" },
  { name: "sp_el0", width: 64, kind: "sp" },
  { name: "sp_el1", width: 64, kind: "sp" },
  { name: "sp_el2", width: 64, kind: "sp" },
  { name: "pc", width: 64, kind: "pc" },
  {
    name: "pstate",
    width: 32,
    kind: "flags",
    description: "PSTATE as SPSR_ELx packs it: N Z C V [31:28], D A I F [9:6], nRW [4], EL [3:2], SP [0]",
  },
  ...(["el1", "el2"] as const).flatMap((el): RegisterSpec[] => [
    { name: `sctlr_${el}`, width: 64, kind: "system", description: "M (bit 0) = stage 1 MMU, C (bit 2) = data cache, I (bit 12) = instruction cache" },
    { name: `tcr_${el}`, width: 64, kind: "system" },
    { name: `mair_${el}`, width: 64, kind: "system" },
    { name: `ttbr0_${el}`, width: 64, kind: "system" },
    { name: `elr_${el}`, width: 64, kind: "system" },
    { name: `spsr_${el}`, width: 64, kind: "system" },
    { name: `vbar_${el}`, width: 64, kind: "system" },
  ]),
  { name: "ttbr1_el1", width: 64, kind: "system" },
  { name: "hcr_el2", width: 64, kind: "system", description: "RW (bit 31) selects AArch64 for EL1" },
  ...X.map((wide, i): RegisterSpec => ({ name: `w${i}`, width: 32, kind: "gpr", alias: { of: wide, lsb: 0, onWrite: "zero-extend" } })),
  { name: "wsp", width: 32, kind: "sp", alias: { of: "sp", lsb: 0, onWrite: "zero-extend" } },
];

/**
 * AArch32 at a lower exception level, sharing X0..X30 (R0..R14 map to X0..X14,
 * banked registers to X15..X30: Arm ARM D1.20.1). After AArch32 execution the
 * upper 32 bits of those X registers are UNKNOWN (Arm ARM D1.20.1; Xen zeroes
 * them on entry from an AArch32 guest, xen/arch/arm/arm64/entry.S).
 */
export const AARCH32_MODE: NarrowMode = {
  id: "aarch32",
  width: 32,
  registers: Array.from({ length: 15 }, (_, i) => ({ narrow: `r${i}`, wide: `x${i}` })),
  upperBitsUnknownAfterExecution: X,
  source: "Arm ARM DDI 0487 D1.20.1",
};
