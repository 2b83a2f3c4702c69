import { HandoffState, RegisterFile, ValidationError, fitsUnsigned, type RegisterAssignment } from "@handoff/core";
import { CR0_PE_ET, EFLAGS_RESERVED_ONE, handoffSegmentState, pvhDefinitions, type HandoffGdt } from "@handoff/x86";
import { X86_32_REGISTERS } from "./registers.js";

const BOOT = "Documentation/arch/x86/boot.rst";

/** Where the stub's GDT lives and what it holds. */
export interface X86GdtPlacement {
  readonly gdt: HandoffGdt;
  /** Physical address of the GDT (the stub's `hd_gdt`). */
  readonly gdtBase: bigint;
}

function check32(subject: string, name: string, value: bigint): void {
  if (!fitsUnsigned(value, 32)) throw new ValidationError(subject, `${name} 0x${value.toString(16)} is not a 32-bit physical address`);
}

/**
 * Xen PVH entry (pvh.pandoc "x86/HVM direct boot ABI"): ebx = hvm_start_info,
 * CR0 = PE, CR4 = 0, flat 32-bit CS and DS/ES/SS, TR a 32-bit TSS with base 0
 * and limit 0x67, EFLAGS VM/IF/TF clear. "All other processor registers and
 * flag bits are unspecified": handoff zeroes them.
 */
export function pvhEntry(options: X86GdtPlacement & { readonly startInfo: bigint; readonly entry: bigint }): HandoffState {
  return HandoffState.fromProtocol("pvh", new RegisterFile("x86_32", X86_32_REGISTERS), pvhDefinitions(options, false));
}

/**
 * Linux x86 32-bit boot protocol entry (boot.rst "32-bit Boot Protocol"):
 * protected mode, paging off, GDT with __BOOT_CS / __BOOT_DS flat, CS =
 * __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off, esi = boot_params, ebp =
 * edi = ebx = 0.
 */
export function linux32Entry(options: X86GdtPlacement & { readonly bootParams: bigint; readonly entry: bigint }): HandoffState {
  check32("Linux 32-bit entry", "boot_params", options.bootParams);
  check32("Linux 32-bit entry", "entry", options.entry);
  const zeroClause = `${BOOT} "32-bit Boot Protocol": "%ebp, %edi and %ebx must be zero"`;
  const defined: Record<string, RegisterAssignment> = {
    esi: { value: options.bootParams, clause: `${BOOT} "32-bit Boot Protocol": "%esi must hold the base address of the struct boot_params"` },
    ebp: { value: 0n, clause: zeroClause },
    edi: { value: 0n, clause: zeroClause },
    ebx: { value: 0n, clause: zeroClause },
    eip: { value: options.entry, clause: `${BOOT} "32-bit Boot Protocol": jump to the 32-bit kernel entry point (code32_start)` },
    cr0: { value: CR0_PE_ET, clause: `${BOOT} "32-bit Boot Protocol": "the CPU must be in 32-bit protected mode with paging disabled"` },
    eflags: { value: EFLAGS_RESERVED_ONE, clause: `${BOOT} "32-bit Boot Protocol": "interrupt must be disabled" (handoff clears every other flag)` },
    ...handoffSegmentState(options.gdt, options.gdtBase, {
      cs: `${BOOT} "32-bit Boot Protocol": "CS must be __BOOT_CS", "4G flat segment", "execute/read permission"`,
      data: `${BOOT} "32-bit Boot Protocol": "DS, ES, SS must be __BOOT_DS", "4G flat segment", "read/write permission"`,
      tr: "handoff stub: boot.rst does not define TR; a TR cannot hold the null selector, so handoff loads a 32-bit TSS (base 0, limit 0x67) as PVH does",
    }),
  };
  return HandoffState.fromProtocol("linux32", new RegisterFile("x86_32", X86_32_REGISTERS), defined);
}

/**
 * kexec / purgatory entry on IA-32: protected mode, paging off, CR3 = CR4 = 0,
 * EFLAGS only bit 1, every GPR zero (Linux arch/x86/kernel/relocate_kernel_32.S
 * clears them before jumping; the entry takes no arguments in registers).
 */
export function kexec32Entry(options: X86GdtPlacement & { readonly entry: bigint }): HandoffState {
  check32("kexec entry", "entry", options.entry);
  const K = "Linux kexec relocate_kernel_32: protected mode, paging off, GPRs zeroed";
  const defined: Record<string, RegisterAssignment> = {
    eip: { value: options.entry, clause: K },
    cr0: { value: CR0_PE_ET, clause: `${K}: CR0.PG clear` },
    eflags: { value: EFLAGS_RESERVED_ONE, clause: `${K}: flags cleared` },
    ...handoffSegmentState(options.gdt, options.gdtBase, { cs: K, data: K, tr: "handoff stub: TR cannot be null; a 32-bit TSS (base 0, limit 0x67)" }),
  };
  return HandoffState.fromProtocol("kexec", new RegisterFile("x86_32", X86_32_REGISTERS), defined);
}
