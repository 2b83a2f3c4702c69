import type { NarrowMode, RegisterSpec } from "@handoff/core";
import { LEGACY_GPR_STEMS, controlRegisterSpecs, descriptorTableSpecs, legacySliceSpecs, segmentRegisterSpecs } from "@handoff/x86";

const LEGACY_64 = LEGACY_GPR_STEMS.map((s) => `r${s}`);
const NUMBERED = Array.from({ length: 8 }, (_, i) => `r${i + 8}`);

/**
 * Intel 64 registers a hand-off sets. A 32-bit write zero-extends to 64 bits;
 * 16- and 8-bit writes merge (SDM Vol. 1 §3.4.1.1, "General-Purpose Registers
 * in 64-Bit Mode").
 */
export const X86_64_REGISTERS: readonly RegisterSpec[] = [
  ...LEGACY_64.map((name): RegisterSpec => ({ name, width: 64, kind: name === "rsp" ? "sp" : "gpr" })),
  ...NUMBERED.map((name): RegisterSpec => ({ name, width: 64, kind: "gpr" })),
  { name: "rip", width: 64, kind: "pc" },
  { name: "rflags", width: 64, kind: "flags", description: "RFLAGS; bits 63..22 reserved zero" },
  ...controlRegisterSpecs(64),
  { name: "efer", width: 64, kind: "msr", description: "IA32_EFER (MSR 0xC0000080)" },
  { name: "kernel_gs_base", width: 64, kind: "msr", description: "IA32_KERNEL_GS_BASE (MSR 0xC0000102)" },
  ...segmentRegisterSpecs(64),
  ...descriptorTableSpecs(64),
  // 32-bit names: writes zero-extend into the 64-bit register.
  ...LEGACY_64.map((wide): RegisterSpec => ({ name: `e${wide.slice(1)}`, width: 32, kind: "gpr", alias: { of: wide, lsb: 0, onWrite: "zero-extend" } })),
  ...NUMBERED.map((wide): RegisterSpec => ({ name: `${wide}d`, width: 32, kind: "gpr", alias: { of: wide, lsb: 0, onWrite: "zero-extend" } })),
  ...legacySliceSpecs((stem) => `r${stem}`),
  ...["si", "di", "bp", "sp"].map((s): RegisterSpec => ({ name: `${s}l`, width: 8, kind: "gpr", alias: { of: `r${s}`, lsb: 0, onWrite: "merge" } })),
  ...NUMBERED.flatMap((wide): RegisterSpec[] => [
    { name: `${wide}w`, width: 16, kind: "gpr", alias: { of: wide, lsb: 0, onWrite: "merge" } },
    { name: `${wide}b`, width: 8, kind: "gpr", alias: { of: wide, lsb: 0, onWrite: "merge" } },
  ]),
  { name: "eip", width: 32, kind: "pc", alias: { of: "rip", lsb: 0, onWrite: "zero-extend" } },
  { name: "eflags", width: 32, kind: "flags", alias: { of: "rflags", lsb: 0, onWrite: "zero-extend" } },
];

/**
 * Compatibility mode: 32-bit code on the 64-bit register file. "The upper 32
 * bits of any general-purpose register are not preserved when switching from
 * 64-bit mode to a 32-bit mode" (SDM Vol. 1 §3.4.1.1), so after 32-bit code has
 * run they are UNKNOWN until 64-bit code writes them; R8..R15 too.
 */
export const COMPATIBILITY_MODE: NarrowMode = {
  id: "compat32",
  width: 32,
  registers: LEGACY_64.map((wide) => ({ narrow: `e${wide.slice(1)}`, wide })),
  upperBitsUnknownAfterExecution: [...LEGACY_64, ...NUMBERED],
  source: "Intel SDM Vol. 1 §3.4.1.1",
};
