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
/** CPSR: HYP mode (M = 0b11010) with A, I and F masked, ARM state, flags clear. */
export const CPSR_HYP_MASKED = 0x1dan;
/**
 * HSCTLR with M, C, I, EE clear: the RES1 bits (3, 4, 11, 16, 18, 22, 23, 28,
 * 29) and CP15BEN (bit 5) set (Arm ARM DDI 0487 G8.2.71).
 */
export const HSCTLR_MMU_CACHES_OFF = 0x30c5_0838n;

/** Inputs of the AArch32 Linux entry state: DTB (or ATAGS) address, entry point, machine number and entry mode (SVC or HYP). */
export interface Arm32EntryOptions {
  /** Physical address of the DTB (or ATAGS list). */
  readonly dtb: bigint;
  readonly entry: bigint;
  /** r1; default ~0 (DT-only). */
  readonly machine?: bigint;
  /** SVC (default) or HYP (CPUs with the virtualization extensions); the stub enters in the mode it runs in. */
  readonly mode?: "svc" | "hyp";
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
  const hyp = options.mode === "hyp";
  const cpsr = hyp ? CPSR_HYP_MASKED : CPSR_SVC_MASKED;
  const defined: Record<string, RegisterAssignment> = {
    r0: { value: 0n, clause: `${BOOTING} §5: "r0 = 0"` },
    r1: { value: machine, clause: `${BOOTING} §5: "r1 = machine type number" (~0 when booting from a DTB only)` },
    r2: { value: options.dtb, clause: `${BOOTING} §5: "r2 = physical address of tagged list in system RAM, or physical address of device tree block (dtb) in system RAM"` },
    r15: { value: options.entry, clause: `${BOOTING} §5: "jump directly to the first instruction of the kernel image"` },
    cpsr: {
      value: cpsr,
      clause: hyp
        ? `${BOOTING} §5: "All forms of interrupts must be disabled (IRQs and FIQs)", "the CPU may be in HYP mode" with the virtualization extensions (A masked too; ARM state)`
        : `${BOOTING} §5: "All forms of interrupts must be disabled (IRQs and FIQs)", "the CPU must be in SVC mode" (A masked too; ARM state)`,
    },
    ...(hyp
      ? {
          spsr_hyp: { value: cpsr, clause: "handoff stub: enters through ERET, so SPSR_hyp holds the entry CPSR (not defined by booting.rst)" },
          elr_hyp: { value: options.entry, clause: "handoff stub: enters through ERET, so ELR_hyp holds the entry (not defined by booting.rst)" },
          hsctlr: { value: HSCTLR_MMU_CACHES_OFF, clause: `${BOOTING} §5: "The MMU must be off", "Data cache must be off" (HYP's own translation regime)` },
        }
      : { spsr_svc: { value: cpsr, clause: "handoff stub: enters through an exception-return LDM, so SPSR_svc holds the entry CPSR (not defined by booting.rst)" } }),
    sctlr: { value: SCTLR_MMU_CACHES_OFF_A15, clause: `${BOOTING} §5: "The MMU must be off", "Data cache must be off"` },
  };
  return HandoffState.fromProtocol("kexec", new RegisterFile("arm32", ARM32_REGISTERS), defined);
}
