import { armArchitectureBase } from "@handoff/arm";
import type { ArchitectureDefinition } from "@handoff/core/compose";
import { arm64ArtefactBuilder } from "./artefact.js";
import { AARCH32_XEN_CONVENTION, AARCH64_XEN_CONVENTION } from "./hypercall.js";
import { arm64ImageFormat } from "./image-header.js";
import { arm64LinuxBootBuilder } from "./linux-boot.js";
import { ARM64_16K_48, ARM64_4K_39, ARM64_4K_48, ARM64_64K_48 } from "./paging.js";
import { AARCH32_MODE, ARM64_REGISTERS } from "./registers.js";
import { AARCH64_RELOCATOR } from "./relocations.js";
import { ARM64_WIDTH } from "./width.js";

/**
 * AArch64 as data: ELF identity, registers, page tables, the Image format,
 * relocations, Xen conventions, builders.
 */
export const ARM64_DEFINITION = {
  ...armArchitectureBase(ARM64_WIDTH),
  displayName: "AArch64",
  // How other headers name AArch64 (core resolves their raw values through these): ELF gABI, U-Boot include/image.h
  // IH_ARCH_ARM64 and boot/image.c's FIT name, PE IMAGE_FILE_MACHINE_ARM64, Node's process.arch;
  // Linux include/uapi/asm-generic/unistd.h.
  machineNames: { elf: "EM_AARCH64", uImage: 22, fit: ["arm64"], pe: 0xaa64, node: "arm64" },
  kexecSyscalls: { kexecLoad: 104, kexecFileLoad: 294 },
  registers: ARM64_REGISTERS,
  narrowMode: AARCH32_MODE,
  pageTableFormats: [ARM64_4K_48, ARM64_4K_39, ARM64_16K_48, ARM64_64K_48],
  imageFormats: [arm64ImageFormat],
  relocations: AARCH64_RELOCATOR,
  hypercall: { hypervisor: "xen", conventions: [AARCH64_XEN_CONVENTION, AARCH32_XEN_CONVENTION] },
  artefactBuilder: arm64ArtefactBuilder,
  linuxBootBuilder: arm64LinuxBootBuilder,
  protocols: {
    kexec: "kexec / Linux entry (booting.rst §4): MMU and D-cache off, DAIF masked, x0 = DTB, x1..x3 = 0, EL1 or EL2",
    linux: "arm64 Linux boot of an Image with the machine's DTB (/chosen set) and initrd",
  },
} satisfies ArchitectureDefinition;
