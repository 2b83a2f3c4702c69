import { ARCHITECTURE, HANDOFF_ARTEFACT_BUILDER, LINUX_BOOT_BUILDER, RegisterFile, type Architecture, type ArchitecturePlugin, type BootProtocolInfo, type HypercallAbi, type ImageFormat, type MachineMemoryLayout, type NarrowMode, type PageTableFormat, type RegisterSpec, type RelocationInfo } from "@handoff/core";
import { ARM_VIRT_MEMORY_LAYOUT } from "@handoff/arm";
import { RegisterHypercallAbi } from "@handoff/core/c-abi";
import { inject, injectable } from "tsyringe";
import { arm64ImageFormat } from "./image-header.js";
import { AARCH32_XEN_CONVENTION, AARCH64_XEN_CONVENTION } from "./hypercall.js";
import { arm64ArtefactBuilder } from "./artefact.js";
import { arm64LinuxBootBuilder } from "./linux-boot.js";
import { ARM64_16K_48, ARM64_4K_39, ARM64_4K_48, ARM64_64K_48 } from "./paging.js";
import { AARCH32_MODE, ARM64_REGISTERS } from "./registers.js";
import { AARCH64_RELOCATOR } from "./relocations.js";

/** Token for the AArch64 register table, so a plugin can replace it in its own container. */
export const ARM64_REGISTER_TABLE = Symbol.for("@handoff/arm64/RegisterTable");

/** The AArch64 architecture: its ELF identity, register table, image formats, page table formats and hypercall ABI. */
@injectable()
export class Arm64Architecture implements Architecture {
  readonly id = "arm64";
  readonly displayName = "AArch64";
  readonly elfMachine = 183;
  readonly elfClass = 64;
  readonly wordBits = 64;
  readonly endianness = ["little", "big"] as const;
  readonly pageSize = 4096n;
  readonly narrowMode: NarrowMode | undefined = AARCH32_MODE;
  readonly pageTableFormats: readonly PageTableFormat[] = [ARM64_4K_48, ARM64_4K_39, ARM64_16K_48, ARM64_64K_48];
  readonly protocols: readonly BootProtocolInfo[] = [];
  readonly imageFormats: readonly ImageFormat[] = [arm64ImageFormat];
  readonly relocations: RelocationInfo | undefined = AARCH64_RELOCATOR;
  readonly hypercallAbi: HypercallAbi | undefined = new RegisterHypercallAbi(this.id, "xen", [AARCH64_XEN_CONVENTION, AARCH32_XEN_CONVENTION], () => this.createRegisterFile());
  readonly defaultMachine: MachineMemoryLayout = ARM_VIRT_MEMORY_LAYOUT;

  constructor(@inject(ARM64_REGISTER_TABLE) readonly registers: readonly RegisterSpec[]) {}

  createRegisterFile(): RegisterFile {
    return new RegisterFile(this.id, this.registers);
  }
}

/** Registers AArch64 into the (child) container it is given. */
export const plugin: ArchitecturePlugin = {
  name: "@handoff/arm64",
  provides: ["arm64"],
  register(container) {
    container.register(ARM64_REGISTER_TABLE, { useValue: ARM64_REGISTERS });
    container.register(ARCHITECTURE, { useClass: Arm64Architecture });
    container.register(HANDOFF_ARTEFACT_BUILDER, { useValue: arm64ArtefactBuilder });
    container.register(LINUX_BOOT_BUILDER, { useValue: arm64LinuxBootBuilder });
  },
};
