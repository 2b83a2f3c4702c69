import { X86_32_COMPAT_XEN_CONVENTION, X86_64_XEN_CONVENTION, x86ArchitectureBase } from "@handoff/x86";
import type { ArchitectureDefinition } from "@handoff/core/compose";
import { planX86_64CrashKexec, planX86_64Kexec, planX86_64KexecProbe } from "./kexec.js";
import { X86_64_4LEVEL, X86_64_5LEVEL } from "./paging.js";
import { COMPATIBILITY_MODE, X86_64_REGISTERS } from "./registers.js";
import { X86_64_RELOCATOR } from "./relocations.js";
import { X86_64_WIDTH, x86_64ArtefactBuilder, x86_64LinuxBootBuilder } from "./width.js";

/**
 * x86-64 as data: ELF identity, registers, page tables, relocations, Xen
 * conventions, builders (bzImage and the PC machine come with the x86
 * family).
 */
export const X86_64_DEFINITION = {
  ...x86ArchitectureBase(X86_64_WIDTH),
  displayName: "x86-64",
  // How other headers name x86-64 (core resolves their raw values through these): ELF gABI, U-Boot include/image.h
  // IH_ARCH_X86_64 and boot/image.c's FIT name, PE IMAGE_FILE_MACHINE_AMD64, Node's process.arch;
  // Linux arch/x86/entry/syscalls/syscall_64.tbl.
  machineNames: { elf: "EM_X86_64", uImage: 24, fit: ["x86_64"], pe: 0x8664, node: "x64" },
  kexecSyscalls: { kexecLoad: 246, kexecFileLoad: 320 },
  registers: X86_64_REGISTERS,
  narrowMode: COMPATIBILITY_MODE,
  pageTableFormats: [X86_64_4LEVEL, X86_64_5LEVEL],
  relocations: X86_64_RELOCATOR,
  hypercall: { hypervisor: "xen", conventions: [X86_64_XEN_CONVENTION, X86_32_COMPAT_XEN_CONVENTION] },
  artefactBuilder: x86_64ArtefactBuilder,
  // The live kexec planner rides on the Linux boot builder: same kernel plan, different entry.
  linuxBootBuilder: { ...x86_64LinuxBootBuilder, kexec: planX86_64Kexec, kexecProbe: planX86_64KexecProbe, kexecCrash: planX86_64CrashKexec },
  protocols: {
    linux64: "Linux x86 boot protocol, 64-bit entry at load address + 0x200: long mode, identity paging, rsi = boot_params",
    kexec: "kexec entry: long mode, identity paging, every GPR zero except rsp",
    pvh: "Xen PVH entry: 32-bit protected mode, paging off, ebx = hvm_start_info (a vmlinux, or bzImage#payload)",
  },
} satisfies ArchitectureDefinition;
