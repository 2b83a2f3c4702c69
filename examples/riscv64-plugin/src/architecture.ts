import { defineArchitecture } from "@handoff/core/compose";
import { riscv64ArtefactBuilder } from "./artefact.js";
import { riscvImageFormat } from "./image-header.js";
import { RISCV64_SV39, RISCV64_SV48 } from "./paging.js";
import { RISCV64_QEMU_INFO_REGISTERS } from "./qemu-registers.js";
import { RISCV64_REGISTERS } from "./registers.js";

/** EM_RISCV (ELF psABI for RISC-V). */
export const EM_RISCV = 243;

/** RV64 as data; the plugin the handoff CLI finds by the `handoff-arch` keyword. */
const defined = defineArchitecture({
  packageName: "handoff-arch-riscv64",
  id: "riscv64",
  displayName: "RISC-V RV64",
  elfMachine: EM_RISCV,
  // How other headers name RV64, so core's readers resolve them to this plugin: U-Boot include/image.h
  // IH_ARCH_RISCV and boot/image.c's FIT name, PE IMAGE_FILE_MACHINE_RISCV64, Node's process.arch;
  // Linux include/uapi/asm-generic/unistd.h (riscv uses the generic numbers).
  machineNames: { elf: "EM_RISCV", uImage: 26, fit: ["riscv"], pe: 0x5064, node: "riscv64" },
  kexecSyscalls: { kexecLoad: 104, kexecFileLoad: 294 },
  elfClass: 64,
  wordBits: 64,
  endianness: ["little"],
  registers: RISCV64_REGISTERS,
  pageTableFormats: [RISCV64_SV39, RISCV64_SV48],
  imageFormats: [riscvImageFormat],
  artefactBuilder: riscv64ArtefactBuilder,
  protocols: { linux: "Linux RISC-V boot: a0 = hart id, a1 = DTB, satp = 0, S-mode" },
  // How QEMU's `info registers` prints this arch (read by @handoff/qemu for arches it has no built-in dialect for).
  extensions: { qemuInfoRegisters: RISCV64_QEMU_INFO_REGISTERS },
});

/** The RV64 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const riscv64Architecture = defined.architecture;
/** Registers RV64 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
