import { ARCHITECTURE, HANDOFF_ARTEFACT_BUILDER, LINUX_BOOT_BUILDER, RegisterFile, type Architecture, type ArchitecturePlugin, type BootProtocolInfo, type HypercallAbi, type ImageFormat, type MachineMemoryLayout, type NarrowMode, type PageTableFormat, type RegisterSpec, type RelocationInfo } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { bzImageFormat } from "@handoff/x86";
import { RegisterHypercallAbi } from "@handoff/core/c-abi";
import { inject, injectable } from "tsyringe";
import { X86_32_XEN_CONVENTION } from "@handoff/x86";
import { x86_32ArtefactBuilder } from "./artefact.js";
import { x86_32LinuxBootBuilder } from "./linux-boot.js";
import { X86_32_2LEVEL, X86_32_PAE } from "./paging.js";
import { X86_32_REGISTERS } from "./registers.js";
import { I386_RELOCATOR } from "./relocations.js";

/** Token for the x86 (32-bit) register table, so a plugin can replace it in its own container. */
export const X86_32_REGISTER_TABLE = Symbol.for("@handoff/x86_32/RegisterTable");

/** The 32-bit x86 architecture: its ELF identity, register table, image formats, page table formats and hypercall ABI. */
@injectable()
export class X86_32Architecture implements Architecture {
  readonly id = "x86_32";
  readonly displayName = "x86 (32-bit)";
  readonly elfMachine = 3;
  readonly elfClass = 32;
  readonly wordBits = 32;
  readonly endianness = ["little"] as const;
  readonly pageSize = 4096n;
  readonly narrowMode: NarrowMode | undefined = undefined;
  readonly pageTableFormats: readonly PageTableFormat[] = [X86_32_PAE, X86_32_2LEVEL];
  readonly protocols: readonly BootProtocolInfo[] = [];
  /** bzImage: one shared implementation from @handoff/x86; the parsed image says which arch it is. */
  readonly imageFormats: readonly ImageFormat[] = [bzImageFormat];
  readonly relocations: RelocationInfo | undefined = I386_RELOCATOR;
  readonly hypercallAbi: HypercallAbi | undefined = new RegisterHypercallAbi(this.id, "xen", [X86_32_XEN_CONVENTION], () => this.createRegisterFile());
  readonly defaultMachine: MachineMemoryLayout = PC_MEMORY_LAYOUT;

  constructor(@inject(X86_32_REGISTER_TABLE) readonly registers: readonly RegisterSpec[]) {}

  createRegisterFile(): RegisterFile {
    return new RegisterFile(this.id, this.registers);
  }
}

/** Registers x86 (32-bit) into the (child) container it is given. */
export const plugin: ArchitecturePlugin = {
  name: "@handoff/x86_32",
  provides: ["x86_32"],
  register(container) {
    container.register(X86_32_REGISTER_TABLE, { useValue: X86_32_REGISTERS });
    container.register(ARCHITECTURE, { useClass: X86_32Architecture });
    container.register(HANDOFF_ARTEFACT_BUILDER, { useValue: x86_32ArtefactBuilder });
    container.register(LINUX_BOOT_BUILDER, { useValue: x86_32LinuxBootBuilder });
  },
};
