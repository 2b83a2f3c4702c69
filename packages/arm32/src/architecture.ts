import { ARCHITECTURE, HANDOFF_ARTEFACT_BUILDER, LINUX_BOOT_BUILDER, RegisterFile, type Architecture, type ArchitecturePlugin, type BootProtocolInfo, type HypercallAbi, type ImageFormat, type MachineMemoryLayout, type NarrowMode, type PageTableFormat, type RegisterSpec, type RelocationInfo } from "@handoff/core";
import { ARM_VIRT_MEMORY_LAYOUT } from "@handoff/arm";
import { RegisterHypercallAbi } from "@handoff/core/c-abi";
import { inject, injectable } from "tsyringe";
import { zImageFormat } from "./zimage.js";
import { ARM32_XEN_CONVENTION } from "./hypercall.js";
import { arm32ArtefactBuilder } from "./artefact.js";
import { arm32LinuxBootBuilder } from "./linux-boot.js";
import { ARM32_LPAE, ARM32_SHORT } from "./paging.js";
import { ARM32_REGISTERS } from "./registers.js";
import { ARM_RELOCATOR } from "./relocations.js";

/** Token for the AArch32 (Arm 32-bit) register table, so a plugin can replace it in its own container. */
export const ARM32_REGISTER_TABLE = Symbol.for("@handoff/arm32/RegisterTable");

/** The AArch32 architecture: its ELF identity, register table, image formats, page table formats and hypercall ABI. */
@injectable()
export class Arm32Architecture implements Architecture {
  readonly id = "arm32";
  readonly displayName = "AArch32 (Arm 32-bit)";
  readonly elfMachine = 40;
  readonly elfClass = 32;
  readonly wordBits = 32;
  readonly endianness = ["little", "big"] as const;
  readonly pageSize = 4096n;
  readonly narrowMode: NarrowMode | undefined = undefined;
  readonly pageTableFormats: readonly PageTableFormat[] = [ARM32_SHORT, ARM32_LPAE];
  readonly protocols: readonly BootProtocolInfo[] = [];
  readonly imageFormats: readonly ImageFormat[] = [zImageFormat];
  readonly relocations: RelocationInfo | undefined = ARM_RELOCATOR;
  readonly hypercallAbi: HypercallAbi | undefined = new RegisterHypercallAbi(this.id, "xen", [ARM32_XEN_CONVENTION], () => this.createRegisterFile());
  readonly defaultMachine: MachineMemoryLayout = ARM_VIRT_MEMORY_LAYOUT;

  constructor(@inject(ARM32_REGISTER_TABLE) readonly registers: readonly RegisterSpec[]) {}

  createRegisterFile(): RegisterFile {
    return new RegisterFile(this.id, this.registers);
  }
}

/** Registers AArch32 (Arm 32-bit) into the (child) container it is given. */
export const plugin: ArchitecturePlugin = {
  name: "@handoff/arm32",
  provides: ["arm32"],
  register(container) {
    container.register(ARM32_REGISTER_TABLE, { useValue: ARM32_REGISTERS });
    container.register(ARCHITECTURE, { useClass: Arm32Architecture });
    container.register(HANDOFF_ARTEFACT_BUILDER, { useValue: arm32ArtefactBuilder });
    container.register(LINUX_BOOT_BUILDER, { useValue: arm32LinuxBootBuilder });
  },
};
