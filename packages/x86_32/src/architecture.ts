import { X86_32_XEN_CONVENTION, x86ArchitectureBase } from "@handoff/x86";
import type { ArchitectureDefinition } from "@handoff/core/compose";
import { planX86_32Kexec } from "./kexec.js";
import { X86_32_2LEVEL, X86_32_PAE } from "./paging.js";
import { X86_32_REGISTERS } from "./registers.js";
import { I386_RELOCATOR } from "./relocations.js";
import { X86_32_WIDTH, x86_32ArtefactBuilder, x86_32LinuxBootBuilder } from "./width.js";

/**
 * 32-bit x86 as data: ELF identity, registers, page tables, relocations, Xen
 * convention, builders (bzImage and the PC machine come with the x86 family).
 */
export const X86_32_DEFINITION = {
  ...x86ArchitectureBase(X86_32_WIDTH),
  displayName: "x86 (32-bit)",
  // How other headers name IA-32 (core resolves their raw values through these): ELF gABI, U-Boot include/image.h
  // IH_ARCH_I386 and boot/image.c's FIT names, PE IMAGE_FILE_MACHINE_I386, Node's process.arch;
  // Linux arch/x86/entry/syscalls/syscall_32.tbl (no kexec_file_load on i386).
  machineNames: { elf: "EM_386", uImage: 3, fit: ["x86", "i386"], pe: 0x14c, node: "ia32" },
  kexecSyscalls: { kexecLoad: 283 },
  registers: X86_32_REGISTERS,
  pageTableFormats: [X86_32_PAE, X86_32_2LEVEL],
  relocations: I386_RELOCATOR,
  hypercall: { hypervisor: "xen", conventions: [X86_32_XEN_CONVENTION] },
  artefactBuilder: x86_32ArtefactBuilder,
  // The live kexec planner rides on the Linux boot builder: same kernel plan, different entry.
  linuxBootBuilder: { ...x86_32LinuxBootBuilder, kexec: planX86_32Kexec },
  protocols: {
    pvh: "Xen PVH entry: 32-bit protected mode, paging off, ebx = hvm_start_info",
    linux32: "Linux x86 boot protocol, 32-bit entry at code32_start: paging off, esi = boot_params",
    kexec: "kexec entry: paging off, CR3 = CR4 = EFLAGS = 0, GPRs zero",
  },
} satisfies ArchitectureDefinition;
