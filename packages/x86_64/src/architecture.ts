import { ARCHITECTURE, HANDOFF_ARTEFACT_BUILDER, LINUX_BOOT_BUILDER, RegisterFile, type Architecture, type ArchitecturePlugin, type BootProtocolInfo, type HypercallAbi, type ImageFormat, type MachineMemoryLayout, type NarrowMode, type PageTableFormat, type RegisterSpec, type RelocationInfo } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { bzImageFormat } from "@handoff/x86";
import { RegisterHypercallAbi } from "@handoff/core/c-abi";
import { inject, injectable } from "tsyringe";
import { X86_32_COMPAT_XEN_CONVENTION, X86_64_XEN_CONVENTION } from "@handoff/x86";
import { x86_64ArtefactBuilder } from "./artefact.js";
import { x86_64LinuxBootBuilder } from "./linux-boot.js";
import { X86_64_4LEVEL, X86_64_5LEVEL } from "./paging.js";
import { COMPATIBILITY_MODE, X86_64_REGISTERS } from "./registers.js";
import { X86_64_RELOCATOR } from "./relocations.js";

/** Token for the x86-64 register table, so a plugin can replace it in its own container. */
export const X86_64_REGISTER_TABLE = Symbol.for("@handoff/x86_64/RegisterTable");

/** The x86-64 architecture: its ELF identity, register table, image formats, page table formats and hypercall ABI. */
@injectable()
export class X86_64Architecture implements Architecture {
  readonly id = "x86_64";
  readonly displayName = "x86-64";
  readonly elfMachine = 62;
  readonly elfClass = 64;
  readonly wordBits = 64;
  readonly endianness = ["little"] as const;
  readonly pageSize = 4096n;
  readonly narrowMode: NarrowMode | undefined = COMPATIBILITY_MODE;
  readonly pageTableFormats: readonly PageTableFormat[] = [X86_64_4LEVEL, X86_64_5LEVEL];
  readonly protocols: readonly BootProtocolInfo[] = [];
  /** bzImage: one shared implementation from @handoff/x86; the parsed image says which arch it is. */
  readonly imageFormats: readonly ImageFormat[] = [bzImageFormat];
  readonly relocations: RelocationInfo | undefined = X86_64_RELOCATOR;
  readonly hypercallAbi: HypercallAbi | undefined = new RegisterHypercallAbi(this.id, "xen", [X86_64_XEN_CONVENTION, X86_32_COMPAT_XEN_CONVENTION], () => this.createRegisterFile());
  readonly defaultMachine: MachineMemoryLayout = PC_MEMORY_LAYOUT;

  constructor(@inject(X86_64_REGISTER_TABLE) readonly registers: readonly RegisterSpec[]) {}

  createRegisterFile(): RegisterFile {
    return new RegisterFile(this.id, this.registers);
  }
}

/** Registers x86-64 into the (child) container it is given. */
export const plugin: ArchitecturePlugin = {
  name: "@handoff/x86_64",
  provides: ["x86_64"],
  register(container) {
    container.register(X86_64_REGISTER_TABLE, { useValue: X86_64_REGISTERS });
    container.register(ARCHITECTURE, { useClass: X86_64Architecture });
    container.register(HANDOFF_ARTEFACT_BUILDER, { useValue: x86_64ArtefactBuilder });
    container.register(LINUX_BOOT_BUILDER, { useValue: x86_64LinuxBootBuilder });
  },
};
