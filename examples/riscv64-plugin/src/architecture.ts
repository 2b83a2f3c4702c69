import { ARCHITECTURE, HANDOFF_ARTEFACT_BUILDER, RegisterFile, type Architecture, type ArchitecturePlugin, type BootProtocolInfo, type HypercallAbi, type ImageFormat, type NarrowMode, type PageTableFormat, type RegisterSpec, type RelocationInfo } from "@handoff/core";
import { inject, injectable } from "tsyringe";
import { RISCV64_REGISTERS } from "./registers.js";
import { RISCV64_SV39, RISCV64_SV48 } from "./paging.js";
import { riscvImageFormat } from "./image-header.js";
import { riscv64ArtefactBuilder } from "./artefact.js";
import { RISCV64_QEMU_INFO_REGISTERS } from "./qemu-registers.js";

/** Token for the register table, so it can be replaced in a container. */
export const RISCV64_REGISTER_TABLE = Symbol.for("handoff-arch-riscv64/RegisterTable");

/** EM_RISCV (ELF psABI for RISC-V). */
export const EM_RISCV = 243;

@injectable()
export class Riscv64Architecture implements Architecture {
  readonly id = "riscv64";
  readonly displayName = "RISC-V RV64";
  readonly elfMachine = EM_RISCV;
  readonly elfClass = 64;
  readonly wordBits = 64;
  readonly endianness = ["little"] as const;
  readonly pageSize = 4096n;
  readonly narrowMode: NarrowMode | undefined = undefined;
  readonly pageTableFormats: readonly PageTableFormat[] = [RISCV64_SV39, RISCV64_SV48];
  readonly protocols: readonly BootProtocolInfo[] = [
    { id: "linux", description: "Linux RISC-V boot: a0 = hart id, a1 = DTB, satp = 0, S-mode" },
  ];
  readonly imageFormats: readonly ImageFormat[] = [riscvImageFormat];
  readonly relocations: RelocationInfo | undefined = undefined;
  readonly hypercallAbi: HypercallAbi | undefined = undefined;
  /** How QEMU's `info registers` prints this arch (read by @handoff/qemu for arches it has no built-in dialect for). */
  readonly qemuInfoRegisters = RISCV64_QEMU_INFO_REGISTERS;

  constructor(@inject(RISCV64_REGISTER_TABLE) readonly registers: readonly RegisterSpec[]) {}

  createRegisterFile(): RegisterFile {
    return new RegisterFile(this.id, this.registers);
  }
}

/** The plugin the handoff CLI finds by the `handoff-arch` keyword. */
export const plugin: ArchitecturePlugin = {
  name: "handoff-arch-riscv64",
  provides: ["riscv64"],
  register(container) {
    container.register(RISCV64_REGISTER_TABLE, { useValue: RISCV64_REGISTERS });
    container.register(ARCHITECTURE, { useClass: Riscv64Architecture });
    container.register(HANDOFF_ARTEFACT_BUILDER, { useValue: riscv64ArtefactBuilder });
  },
};
