import type { RegisterSpec } from "@handoff/core";

const R = Array.from({ length: 16 }, (_, i) => `r${i}`);

/**
 * AArch32 registers a hand-off sets (Arm ARM DDI 0487 G1.7 general-purpose
 * registers, G1.9 PSTATE/CPSR, G8 system registers; DDI 0406C B4 for ARMv7).
 * SP, LR and PC are other names for R13..R15; TTBR0/TTBR1 are 64-bit with LPAE.
 */
export const ARM32_REGISTERS: readonly RegisterSpec[] = [
  ...R.map((name, i): RegisterSpec => ({ name, width: 32, kind: i === 13 ? "sp" : i === 15 ? "pc" : "gpr" })),
  { name: "cpsr", width: 32, kind: "flags", description: "N Z C V [31:28], A I F [8:6], T [5], M [4:0]" },
  { name: "spsr_svc", width: 32, kind: "system" },
  { name: "spsr_hyp", width: 32, kind: "system" },
  { name: "elr_hyp", width: 32, kind: "system" },
  { name: "sctlr", width: 32, kind: "system", description: "M (bit 0) MMU, C (bit 2) data cache, I (bit 12) instruction cache" },
  { name: "hsctlr", width: 32, kind: "system" },
  { name: "ttbcr", width: 32, kind: "system", description: "EAE (bit 31) selects the long-descriptor (LPAE) format" },
  { name: "ttbr0", width: 64, kind: "system" },
  { name: "ttbr1", width: 64, kind: "system" },
  { name: "dacr", width: 32, kind: "system" },
  { name: "mair0", width: 32, kind: "system", description: "PRRR when TTBCR.EAE = 0" },
  { name: "mair1", width: 32, kind: "system", description: "NMRR when TTBCR.EAE = 0" },
  { name: "vbar", width: 32, kind: "system" },
  { name: "sp", width: 32, kind: "sp", alias: { of: "r13", lsb: 0, onWrite: "zero-extend" } },
  { name: "lr", width: 32, kind: "gpr", alias: { of: "r14", lsb: 0, onWrite: "zero-extend" } },
  { name: "pc", width: 32, kind: "pc", alias: { of: "r15", lsb: 0, onWrite: "zero-extend" } },
];
