import type { DependencyContainer } from "tsyringe";
import { ARCHITECTURE, type Architecture, type ArchitecturePlugin, type BootProtocolInfo } from "../architecture.js";
import { HANDOFF_ARTEFACT_BUILDER, type HandoffArtefactBuilder } from "../handoff-artefact.js";
import { RegisterHypercallAbi } from "../c-abi/hypercall.js";
import type { HypercallAbi, HypercallConvention } from "../hypercall-abi.js";
import type { ImageFormat } from "../image-format.js";
import { LINUX_BOOT_BUILDER, type LinuxBootBuilder } from "../linux-boot.js";
import type { Relocator } from "../link/relocator.js";
import type { MachineMemoryLayout } from "../memory-map.js";
import type { PageTableFormat } from "../paging/types.js";
import { RegisterFile, type NarrowMode, type RegisterSpec } from "../registers.js";
import { BOOT_PROTOCOL, HYPERCALL_ABI, IMAGE_FORMAT, PAGE_TABLE_FORMAT, RELOCATOR, type BootProtocol } from "./tokens.js";

/** One architecture as data: what {@link defineArchitecture} needs; everything else is derived. */
export interface ArchitectureDefinition {
  /** npm package that provides it, e.g. `@handoff/arm64`. */
  readonly packageName: string;
  /** Stable id used on the command line: `x86_64`, `arm64`... */
  readonly id: string;
  readonly displayName: string;
  /** ELF e_machine (EM_386 = 3, EM_ARM = 40, EM_X86_64 = 62, EM_AARCH64 = 183). */
  readonly elfMachine: number;
  readonly elfClass: 32 | 64;
  readonly wordBits: 32 | 64;
  /** Byte orders it runs; the first is the default. */
  readonly endianness: readonly ("little" | "big")[];
  /** Smallest page size in bytes (default 4 KiB). */
  readonly pageSize?: bigint;
  readonly registers: readonly RegisterSpec[];
  readonly narrowMode?: NarrowMode;
  /** Translation-table formats, the default first. */
  readonly pageTableFormats?: readonly PageTableFormat[];
  readonly imageFormats?: readonly ImageFormat[];
  readonly relocations?: Relocator;
  /** The hypercall conventions (native first) of one hypervisor; the ABI object is derived. */
  readonly hypercall?: { readonly hypervisor: string; readonly conventions: readonly HypercallConvention[] };
  readonly defaultMachine?: MachineMemoryLayout;
  /** Builds flat-payload artefacts (stub + list + payload). */
  readonly artefactBuilder?: HandoffArtefactBuilder;
  /** Boots real Linux kernels through the stub. */
  readonly linuxBootBuilder?: LinuxBootBuilder;
  /** What each protocol the builders accept means (for `handoff archs`). */
  readonly protocols?: Readonly<Record<string, string>>;
  /** Extra fields other packages read from the architecture object (e.g. `qemuInfoRegisters` for @handoff/qemu). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** What {@link defineArchitecture} returns: the architecture object and the plugin that registers it and its parts. */
export interface DefinedArchitecture {
  readonly architecture: Architecture;
  readonly plugin: ArchitecturePlugin;
}

/** Protocol ids the builders accept (only those: a described protocol nobody builds is not offered), with their descriptions. */
function protocolsOf(def: ArchitectureDefinition): BootProtocolInfo[] {
  const ids = [...new Set([...(def.artefactBuilder?.protocols ?? []), ...(def.linuxBootBuilder?.protocols ?? [])])];
  return ids.map((id) => ({ id, description: def.protocols?.[id] ?? "" }));
}

/**
 * Declares an architecture as data and derives the rest: the register-file
 * factory, the hypercall ABI, the truthful protocol list (what its builders
 * build), and the plugin that registers the architecture and each part under
 * core's tokens in the (child) container it is given. Nothing global happens
 * at import time (like Effect's `FileSystem.make`: the contract's owner offers
 * the constructor).
 */
export function defineArchitecture(def: ArchitectureDefinition): DefinedArchitecture {
  const createRegisterFile = (): RegisterFile => new RegisterFile(def.id, def.registers);
  const hypercallAbi: HypercallAbi | undefined = def.hypercall ? new RegisterHypercallAbi(def.id, def.hypercall.hypervisor, def.hypercall.conventions, createRegisterFile) : undefined;
  const architecture: Architecture = {
    ...def.extensions,
    id: def.id,
    displayName: def.displayName,
    elfMachine: def.elfMachine,
    elfClass: def.elfClass,
    wordBits: def.wordBits,
    endianness: def.endianness,
    pageSize: def.pageSize ?? 4096n,
    registers: def.registers,
    narrowMode: def.narrowMode,
    pageTableFormats: def.pageTableFormats ?? [],
    protocols: protocolsOf(def),
    imageFormats: def.imageFormats ?? [],
    relocations: def.relocations,
    hypercallAbi,
    ...(def.defaultMachine ? { defaultMachine: def.defaultMachine } : {}),
    createRegisterFile,
  };
  const plugin: ArchitecturePlugin = {
    name: def.packageName,
    provides: [def.id],
    register(container: DependencyContainer) {
      const arch = def.id;
      container.register(ARCHITECTURE, { useValue: architecture });
      for (const p of architecture.protocols) container.register<BootProtocol>(BOOT_PROTOCOL, { useValue: { arch, ...p } });
      for (const format of architecture.imageFormats) container.register(IMAGE_FORMAT, { useValue: { arch, format } });
      for (const format of architecture.pageTableFormats) container.register(PAGE_TABLE_FORMAT, { useValue: { arch, format } });
      if (def.relocations) container.register(RELOCATOR, { useValue: { arch, relocator: def.relocations } });
      if (hypercallAbi) container.register(HYPERCALL_ABI, { useValue: hypercallAbi });
      if (def.artefactBuilder) container.register(HANDOFF_ARTEFACT_BUILDER, { useValue: def.artefactBuilder });
      if (def.linuxBootBuilder) container.register(LINUX_BOOT_BUILDER, { useValue: def.linuxBootBuilder });
    },
  };
  return { architecture, plugin };
}
