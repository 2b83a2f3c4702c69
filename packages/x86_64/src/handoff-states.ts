import { HandoffState, RegisterFile, ValidationError, fitsUnsigned, type RegisterAssignment } from "@handoff/core";
import { EFLAGS_RESERVED_ONE, handoffSegmentState, pvhDefinitions, type HandoffGdt, type PvhEntryOptions } from "@handoff/x86";
import { X86_64_REGISTERS } from "./registers.js";

const BOOT = "Documentation/arch/x86/boot.rst";
/** CR0: PG | ET | PE (ET hardwired to 1 since the i486). */
export const CR0_LONG = 0x8000_0011n;
/** CR4.PAE: required for IA-32e paging (SDM Vol. 3A §10.8.5). */
export const CR4_PAE = 0x20n;
/** EFER: LME (bit 8) written, LMA (bit 10) set by the CPU once paging is on. */
export const EFER_LME_LMA = 0x500n;

/** Where the x86-64 hand-off's GDT and page table root are in guest memory, and the entry point. */
export interface X86_64Placement {
  /** GDT the stub loads (64-bit code segment) and its physical address. */
  readonly gdt: HandoffGdt;
  readonly gdtBase: bigint;
  /** Root of identity page tables covering the entry, stack and boot data. */
  readonly cr3: bigint;
  readonly entry: bigint;
}

function longMode(o: X86_64Placement, clause: string): Record<string, RegisterAssignment> {
  if (!o.gdt.code.flags || (o.gdt.code.flags & 0x2000) === 0) throw new ValidationError("x86_64 hand-off", "the GDT's code segment is not a 64-bit (L) segment");
  if (o.cr3 & 0xfffn || !fitsUnsigned(o.cr3, 32)) throw new ValidationError("x86_64 hand-off", "CR3 must be a 4 KiB-aligned address below 4 GiB (the stub loads it before long mode)");
  return {
    rip: { value: o.entry, clause },
    cr0: { value: CR0_LONG, clause: `${clause}: paging enabled (PG), protected mode (PE)` },
    cr3: { value: o.cr3, clause: `${clause}: identity-mapped page tables` },
    cr4: { value: CR4_PAE, clause: `${clause}: PAE, required by 4-level paging` },
    efer: { value: EFER_LME_LMA, clause: `${clause}: IA-32e mode (LME, LMA)` },
    rflags: { value: EFLAGS_RESERVED_ONE, clause: `${clause}: interrupts disabled; handoff clears every other flag (bit 1 reads as 1)` },
  };
}

/**
 * Linux x86 64-bit boot protocol entry (boot.rst "64-bit Boot Protocol"):
 * 64-bit mode with paging on and identity mappings, GDT with __BOOT_CS /
 * __BOOT_DS flat, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off, rsi =
 * boot_params. Every other GPR, FS/GS and their bases are forced zero.
 */
export function linux64Entry(options: X86_64Placement & { readonly bootParams: bigint }): HandoffState {
  const P = `${BOOT} "64-bit Boot Protocol"`;
  const defined: Record<string, RegisterAssignment> = {
    rsi: { value: options.bootParams, clause: `${P}: "%rsi must hold the base address of the struct boot_params"` },
    ...longMode(options, `${P}: "the CPU must be in 64-bit mode with paging enabled"`),
    ...handoffSegmentState(options.gdt, options.gdtBase, {
      cs: `${P}: "CS must be __BOOT_CS", "4G flat segment", "execute/read permission"`,
      data: `${P}: "DS, ES, SS must be __BOOT_DS", "4G flat segment", "read/write permission"`,
      tr: "handoff stub: boot.rst does not define TR; a TR cannot hold the null selector, so handoff loads a 64-bit TSS (base 0, limit 0x67)",
    }),
  };
  return HandoffState.fromProtocol("linux64", new RegisterFile("x86_64", X86_64_REGISTERS), defined);
}

/**
 * kexec / purgatory entry on x86_64: long mode on identity tables, every GPR
 * zero except rsp (Linux relocate_kernel_64 clears them and jumps with its own
 * stack; handoff sets rsp to the planned stack top).
 */
export function kexec64Entry(options: X86_64Placement & { readonly rsp: bigint }): HandoffState {
  const K = "Linux kexec relocate_kernel_64: long mode, identity page tables, GPRs zeroed";
  const defined: Record<string, RegisterAssignment> = {
    rsp: { value: options.rsp, clause: `${K} except rsp (the planned stack top)` },
    ...longMode(options, K),
    ...handoffSegmentState(options.gdt, options.gdtBase, { cs: K, data: K, tr: "handoff stub: TR cannot be null; a 64-bit TSS (base 0, limit 0x67)" }),
  };
  return HandoffState.fromProtocol("kexec", new RegisterFile("x86_64", X86_64_REGISTERS), defined);
}

/**
 * Xen PVH entry seen on the Intel 64 register file (the entry is 32-bit code
 * with paging off; the upper register halves are not observable there).
 */
export function pvhEntry64(options: PvhEntryOptions): HandoffState {
  return HandoffState.fromProtocol("pvh", new RegisterFile("x86_64", X86_64_REGISTERS), pvhDefinitions(options, true));
}
