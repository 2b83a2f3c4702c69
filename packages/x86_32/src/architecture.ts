import {
  ARCHITECTURE,
  PC_MEMORY_LAYOUT,
  RegisterFile,
  type Architecture,
  type ArchitecturePlugin,
  type BootProtocolInfo,
  type HypercallAbi,
  type ImageFormat,
  type MachineMemoryLayout,
  type NarrowMode,
  type PageTableFormat,
  type RegisterSpec,
  type RelocationInfo,
} from "@handoff/core";
import { bzImageFormat } from "@handoff/x86";
import { inject, injectable } from "tsyringe";
import { X86_32_REGISTERS } from "./registers.js";

/** Token for the x86 (32-bit) register table, so a plugin can replace it in its own container. */
export const X86_32_REGISTER_TABLE = Symbol.for("@handoff/x86_32/RegisterTable");

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
  readonly pageTableFormats: readonly PageTableFormat[] = [];
  readonly protocols: readonly BootProtocolInfo[] = [];
  /** bzImage: one shared implementation from @handoff/x86; the parsed image says which arch it is. */
  readonly imageFormats: readonly ImageFormat[] = [bzImageFormat];
  readonly relocations: RelocationInfo | undefined = undefined;
  readonly hypercallAbi: HypercallAbi | undefined = undefined;
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
  },
};
