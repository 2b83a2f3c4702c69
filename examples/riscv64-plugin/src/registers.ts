import type { RegisterSpec } from "@handoff/core";

/** ABI names of x1..x31 (RISC-V psABI, "Integer Register Convention"). */
const ABI_NAMES = [
  "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
  "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
  "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
  "t3", "t4", "t5", "t6",
] as const;

/**
 * RV64 registers a Linux hand-off sets: x0 is hardwired to zero (Unprivileged
 * ISA §2.1); ABI names are other names for the same registers; the supervisor
 * CSRs (Privileged ISA §10.1) and the current privilege level, which no CSR
 * holds but which the hand-off defines (S-mode).
 */
export const RISCV64_REGISTERS: readonly RegisterSpec[] = [
  { name: "x0", width: 64, kind: "gpr", hardwired: 0n, description: "hardwired zero" },
  ...ABI_NAMES.map((_, i): RegisterSpec => ({ name: `x${i + 1}`, width: 64, kind: i === 1 ? "sp" : "gpr" })),
  { name: "pc", width: 64, kind: "pc" },
  { name: "priv", width: 2, kind: "system", description: "privilege level: 0 U, 1 S, 3 M" },
  { name: "satp", width: 64, kind: "system", description: "MODE [63:60] (0 Bare, 8 Sv39, 9 Sv48), ASID [59:44], PPN [43:0]" },
  { name: "sstatus", width: 64, kind: "system", description: "SIE is bit 1" },
  { name: "sie", width: 64, kind: "system" },
  { name: "sip", width: 64, kind: "system" },
  { name: "stvec", width: 64, kind: "system" },
  { name: "sscratch", width: 64, kind: "system" },
  { name: "sepc", width: 64, kind: "system" },
  { name: "scause", width: 64, kind: "system" },
  { name: "stval", width: 64, kind: "system" },
  { name: "zero", width: 64, kind: "gpr", alias: { of: "x0", lsb: 0, onWrite: "zero-extend" } },
  ...ABI_NAMES.map((abi, i): RegisterSpec => ({ name: abi, width: 64, kind: "gpr", alias: { of: `x${i + 1}`, lsb: 0, onWrite: "zero-extend" } })),
  { name: "fp", width: 64, kind: "gpr", alias: { of: "x8", lsb: 0, onWrite: "zero-extend" } },
];
