import type { DependencyContainer } from "tsyringe";
import { ARCHITECTURE, type Architecture, type ArchitecturePlugin, type BootProtocolInfo } from "../architecture.js";
import { HANDOFF_ARTEFACT_BUILDER, type HandoffArtefactBuilder } from "../handoff-artefact.js";
import { RegisterHypercallAbi } from "../c-abi/hypercall.js";
import type { HypercallAbi, HypercallConvention } from "../hypercall-abi.js";
import { LINUX_BOOT_BUILDER, type LinuxBootBuilder } from "../linux-boot.js";
import type { Relocator } from "../link/relocator.js";
import { RegisterFile } from "../registers.js";
import { BOOT_PROTOCOL, HYPERCALL_ABI, IMAGE_FORMAT, PAGE_TABLE_FORMAT, RELOCATOR, type BootProtocol } from "./tokens.js";

/** The {@link Architecture} fields {@link defineArchitecture} derives or defaults rather than takes as they are. */
type DerivedField = "pageSize" | "narrowMode" | "pageTableFormats" | "protocols" | "imageFormats" | "relocations" | "hypercallAbi" | "createRegisterFile";

/**
 * One architecture as data: what {@link defineArchitecture} needs. The
 * architecture's own fields are {@link Architecture}'s (the optional ones
 * defaulted); the rest are its parts: builders, the relocator, the hypercall
 * conventions and protocol descriptions the derived fields come from.
 */
export interface ArchitectureDefinition extends Omit<Architecture, DerivedField>, Partial<Pick<Architecture, "pageSize" | "narrowMode" | "pageTableFormats" | "imageFormats">> {
  /** npm package that provides it, e.g. `@handoff/arm64`. */
  readonly packageName: string;
  /** Applies the arch's ELF relocations (linking stubs); `Architecture.relocations` is it. */
  readonly relocations?: Relocator;
  /** The hypercall conventions (native first) of one hypervisor; the ABI object is derived. */
  readonly hypercall?: { readonly hypervisor: string; readonly conventions: readonly HypercallConvention[] };
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
  const { packageName: _package, hypercall: _hypercall, artefactBuilder: _artefacts, linuxBootBuilder: _linux, protocols: _protocols, extensions, ...data } = def;
  const architecture: Architecture = {
    ...extensions,
    ...data,
    pageSize: def.pageSize ?? 4096n,
    narrowMode: def.narrowMode,
    pageTableFormats: def.pageTableFormats ?? [],
    protocols: protocolsOf(def),
    imageFormats: def.imageFormats ?? [],
    relocations: def.relocations,
    hypercallAbi,
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
