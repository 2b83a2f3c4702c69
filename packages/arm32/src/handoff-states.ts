import { HandoffState, RegisterFile, ValidationError, fitsUnsigned, type RegisterAssignment } from "@handoff/core";
import { ARM32_REGISTERS } from "./registers.js";

const BOOTING = "Documentation/arch/arm/booting.rst";

/** CPSR: SVC mode (M = 0b10011) with A, I and F masked (bits 8, 7, 6), ARM state, flags clear. */
export const CPSR_SVC_MASKED = 0x1d3n;
/** Machine type for a DT-only boot: ~0 (the kernel then identifies the machine from the DTB). */
export const MACHINE_TYPE_DT_ONLY = 0xffff_ffffn;
/**
 * SCTLR with M, C, I (bits 0, 2, 12) clear: the Cortex-A15 reset value
 * (Cortex-A15 TRM §4.3.27), i.e. MMU and caches off with the RAO/SBO bits set.
 */
export const SCTLR_MMU_CACHES_OFF_A15 = 0x00c5_0078n;

export interface Arm32EntryOptions {
  /** Physical address of the DTB (or ATAGS list). */
  readonly dtb: bigint;
  readonly entry: bigint;
  /** r1; default ~0 (DT-only). */
  readonly machine?: bigint;
}

/**
 * The arm32 Linux boot / kexec entry state (booting.rst §5 "Calling the kernel
 * image"): r0 = 0, r1 = machine type, r2 = DTB, SVC mode with IRQ and FIQ
 * masked, MMU and data cache off. Every other register is forced to zero.
 */
export function arm32KexecEntry(options: Arm32EntryOptions): HandoffState {
  const machine = options.machine ?? MACHINE_TYPE_DT_ONLY;
  for (const [n, v] of [["dtb", options.dtb], ["entry", options.entry], ["machine", machine]] as const) {
    if (!fitsUnsigned(v, 32)) throw new ValidationError("arm32 kexec entry", `${n} 0x${v.toString(16)} does not fit 32 bits`);
  }
  if (options.entry & 3n) throw new ValidationError("arm32 kexec entry", "entry must be a word-aligned ARM-state address");
  const defined: Record<string, RegisterAssignment> = {
    r0: { value: 0n, clause: `${BOOTING} §5: "r0 = 0"` },
    r1: { value: machine, clause: `${BOOTING} §5: "r1 = machine type number" (~0 when booting from a DTB only)` },
    r2: { value: options.dtb, clause: `${BOOTING} §5: "r2 = physical address of tagged list in system RAM, or physical address of device tree block (dtb) in system RAM"` },
    r15: { value: options.entry, clause: `${BOOTING} §5: "jump directly to the first instruction of the kernel image"` },
    cpsr: {
      value: CPSR_SVC_MASKED,
      clause: `${BOOTING} §5: "All forms of interrupts must be disabled (IRQs and FIQs)", "the CPU must be in SVC mode" (A masked too; ARM state)`,
    },
    spsr_svc: { value: CPSR_SVC_MASKED, clause: "handoff stub: enters through an exception-return LDM, so SPSR_svc holds the entry CPSR (not defined by booting.rst)" },
    sctlr: { value: SCTLR_MMU_CACHES_OFF_A15, clause: `${BOOTING} §5: "The MMU must be off", "Data cache must be off"` },
  };
  return HandoffState.fromProtocol("kexec", new RegisterFile("arm32", ARM32_REGISTERS), defined);
}
