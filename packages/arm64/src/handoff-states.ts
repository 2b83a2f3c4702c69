import { HandoffState, RegisterFile, ValidationError, type RegisterAssignment } from "@handoff/core";
import { ARM64_REGISTERS } from "./registers.js";

const BOOTING = "Documentation/arch/arm64/booting.rst";

/** PSTATE.DAIF = 0b1111 (bits 9..6): "All forms of interrupts must be masked in PSTATE.DAIF". */
export const PSTATE_DAIF = 0x3c0n;
/** PSTATE.M for EL1h / EL2h (exception level in bits 3..2, SP_ELx selected by bit 0). */
export const PSTATE_EL1H = 0x5n;
/** PSTATE.M for EL2h: EL2 with SP_EL2. */
export const PSTATE_EL2H = 0x9n;
/**
 * SCTLR_ELx with M (MMU), C (data cache) and I (instruction cache) clear, EE
 * clear (little-endian), and the ARMv8.0 RES1 bits set (SCTLR_EL1 bits 29, 28,
 * 23, 22, 20, 11: Arm ARM D17.2.118).
 */
export const SCTLR_MMU_CACHES_OFF = 0x30d0_0800n;
/**
 * SCTLR_EL2 (HCR_EL2.E2H = 0) with M, C, I and EE clear and its ARMv8.0 RES1
 * bits set (bits 29, 28, 23, 22, 18, 16, 11, 5, 4: Arm ARM D17.2.119).
 */
export const SCTLR_EL2_MMU_CACHES_OFF = 0x30c5_0830n;

/** Inputs of the AArch64 Linux entry state: DTB address, entry point and exception level (EL1 or EL2). */
export interface Arm64EntryOptions {
  /** Physical address of the device tree blob. */
  readonly dtb: bigint;
  /** Physical address of the image's first instruction. */
  readonly entry: bigint;
  /** Exception level to enter at; the stub enters at the EL it runs at. Default 1. */
  readonly el?: 1 | 2;
}

/**
 * The arm64 Linux boot / kexec entry state (booting.rst §4 "Call the kernel
 * image"): x0 = DTB, x1..x3 = 0, MMU and D-cache off, DAIF masked, EL2 or
 * non-secure EL1. Every other GPR, SP and the EL's system registers are
 * undefined by the protocol and forced to zero; ELR/SPSR hold what the stub's
 * ERET consumed.
 */
export function arm64KexecEntry(options: Arm64EntryOptions): HandoffState {
  const el = options.el ?? 1;
  if (options.dtb % 8n !== 0n) throw new ValidationError("arm64 kexec entry", `DTB address 0x${options.dtb.toString(16)} is not 8-byte aligned (booting.rst §2)`);
  const pstate = PSTATE_DAIF | (el === 2 ? PSTATE_EL2H : PSTATE_EL1H);
  const suffix = el === 2 ? "el2" : "el1";
  const defined: Record<string, RegisterAssignment> = {
    x0: { value: options.dtb, clause: `${BOOTING} §4: "x0 = physical address of device tree blob (dtb) in system RAM"` },
    pc: { value: options.entry, clause: `${BOOTING} §4: "the boot loader should ... jump directly to the first instruction of the kernel image"` },
    pstate: {
      value: pstate,
      clause: `${BOOTING} §4: "All forms of interrupts must be masked in PSTATE.DAIF"; "CPU mode: ... either EL2 ... or non-secure EL1" (EL${el}h)`,
    },
    [`sctlr_${suffix}`]: {
      value: el === 2 ? SCTLR_EL2_MMU_CACHES_OFF : SCTLR_MMU_CACHES_OFF,
      clause: `${BOOTING} §4: "The MMU must be off", "The data cache must be off" (M, C, I clear; RES1 bits set)`,
    },
    ...(el === 2
      ? { sctlr_el1: { value: SCTLR_MMU_CACHES_OFF, clause: "handoff stub: entering at EL2 it also leaves EL1's MMU and caches off (booting.rst leaves EL1 state to the kernel)" } }
      : {}),
    [`elr_${suffix}`]: { value: options.entry, clause: "handoff stub: enters through ERET, so ELR holds the entry (not defined by booting.rst)" },
    [`spsr_${suffix}`]: { value: pstate, clause: "handoff stub: enters through ERET, so SPSR holds the entry PSTATE (not defined by booting.rst)" },
  };
  return HandoffState.fromProtocol("kexec", new RegisterFile("arm64", ARM64_REGISTERS), defined);
}
