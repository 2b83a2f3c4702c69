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
import { COMPATIBILITY_MODE, X86_64_REGISTERS } from "./registers.js";

/** Token for the x86-64 register table, so a plugin can replace it in its own container. */
export const X86_64_REGISTER_TABLE = Symbol.for("@handoff/x86_64/RegisterTable");

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
  readonly pageTableFormats: readonly PageTableFormat[] = [];
  readonly protocols: readonly BootProtocolInfo[] = [];
  /** bzImage: one shared implementation from @handoff/x86; the parsed image says which arch it is. */
  readonly imageFormats: readonly ImageFormat[] = [bzImageFormat];
  readonly relocations: RelocationInfo | undefined = undefined;
  readonly hypercallAbi: HypercallAbi | undefined = undefined;
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
  },
};
