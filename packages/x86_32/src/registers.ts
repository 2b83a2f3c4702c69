import type { RegisterSpec } from "@handoff/core";
import { LEGACY_GPR_STEMS, controlRegisterSpecs, descriptorTableSpecs, legacySliceSpecs, segmentRegisterSpecs } from "@handoff/x86";

const GPRS_32 = LEGACY_GPR_STEMS.map((s) => `e${s}`);

/** IA-32 registers a hand-off sets (SDM Vol. 1 §3.4, Vol. 3A §2.5). */
export const X86_32_REGISTERS: readonly RegisterSpec[] = [
  ...GPRS_32.map((name): RegisterSpec => ({ name, width: 32, kind: name === "esp" ? "sp" : "gpr" })),
  { name: "eip", width: 32, kind: "pc" },
  { name: "eflags", width: 32, kind: "flags", description: "EFLAGS; bit 1 reads as one on hardware" },
  ...controlRegisterSpecs(32),
  { name: "efer", width: 64, kind: "msr", description: "IA32_EFER (MSR 0xC0000080): NXE with PAE paging" },
  ...segmentRegisterSpecs(32),
  ...descriptorTableSpecs(32),
  ...legacySliceSpecs((stem) => `e${stem}`),
];
