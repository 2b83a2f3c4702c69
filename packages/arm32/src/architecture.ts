import { armArchitectureBase } from "@handoff/arm";
import type { ArchitectureDefinition } from "@handoff/core/compose";
import { arm32ArtefactBuilder } from "./artefact.js";
import { ARM32_XEN_CONVENTION } from "./hypercall.js";
import { arm32LinuxBootBuilder } from "./linux-boot.js";
import { ARM32_LPAE, ARM32_SHORT } from "./paging.js";
import { ARM32_REGISTERS } from "./registers.js";
import { ARM_RELOCATOR } from "./relocations.js";
import { ARM32_WIDTH } from "./width.js";
import { zImageFormat } from "./zimage.js";

/**
 * AArch32 as data: ELF identity, registers, page tables, zImage, relocations,
 * Xen convention, builders.
 */
export const ARM32_DEFINITION = {
  ...armArchitectureBase(ARM32_WIDTH),
  displayName: "AArch32 (Arm 32-bit)",
  // How other headers name AArch32 (core resolves their raw values through these): ELF gABI, U-Boot include/image.h
  // IH_ARCH_ARM and boot/image.c's FIT name, PE IMAGE_FILE_MACHINE_THUMB (Linux's arm EFI stub header), Node's
  // process.arch; Linux arch/arm/tools/syscall.tbl (no kexec_file_load on arm).
  machineNames: { elf: "EM_ARM", uImage: 2, fit: ["arm"], pe: 0x1c2, node: "arm" },
  kexecSyscalls: { kexecLoad: 347 },
  registers: ARM32_REGISTERS,
  pageTableFormats: [ARM32_SHORT, ARM32_LPAE],
  imageFormats: [zImageFormat],
  relocations: ARM_RELOCATOR,
  hypercall: { hypervisor: "xen", conventions: [ARM32_XEN_CONVENTION] },
  artefactBuilder: arm32ArtefactBuilder,
  linuxBootBuilder: arm32LinuxBootBuilder,
  protocols: {
    kexec: "kexec / Linux entry (booting.rst §5): MMU and caches off, SVC or HYP, r0 = 0, r1 = ~0, r2 = DTB",
    linux: "arm32 Linux boot of a zImage with the machine's DTB (/chosen set) and initrd",
  },
} satisfies ArchitectureDefinition;
