import type { DependencyContainer, InjectionToken } from "tsyringe";
import type { Architecture, BootProtocolInfo } from "../architecture.js";
import type { HandoffArtefactBuilder } from "../handoff-artefact.js";
import type { HypercallAbi } from "../hypercall-abi.js";
import type { LinuxBootBuilder } from "../linux-boot.js";
import { HANDOFF_ARTEFACT_BUILDER } from "../handoff-artefact.js";
import { LINUX_BOOT_BUILDER } from "../linux-boot.js";
import { BOOT_PROTOCOL, HYPERCALL_ABI, IMAGE_FORMAT, PAGE_TABLE_FORMAT, RELOCATOR } from "./tokens.js";
import type { BootProtocol, ImageFormatContribution, PageTableFormatContribution, RelocatorContribution } from "./tokens.js";

/** Everything plugins registered in a container, by kind. */
export interface Contributions {
  readonly protocols: readonly BootProtocol[];
  readonly imageFormats: readonly ImageFormatContribution[];
  readonly pageTableFormats: readonly PageTableFormatContribution[];
  readonly relocators: readonly RelocatorContribution[];
  readonly hypercallAbis: readonly HypercallAbi[];
  readonly artefactBuilders: readonly HandoffArtefactBuilder[];
  readonly linuxBootBuilders: readonly LinuxBootBuilder[];
}

/** Every registration of `token` in `container` (and its parents); none is an empty list, not an error. */
export function resolveAllOptional<T>(container: DependencyContainer, token: InjectionToken<T>): T[] {
  return container.isRegistered(token, true) ? container.resolveAll<T>(token) : [];
}

/** Gathers every contribution registered in `container` (for code that holds a container, not an injected service). */
export function contributionsOf(container: DependencyContainer): Contributions {
  return {
    protocols: resolveAllOptional(container, BOOT_PROTOCOL),
    imageFormats: resolveAllOptional(container, IMAGE_FORMAT),
    pageTableFormats: resolveAllOptional(container, PAGE_TABLE_FORMAT),
    relocators: resolveAllOptional(container, RELOCATOR),
    hypercallAbis: resolveAllOptional(container, HYPERCALL_ABI),
    artefactBuilders: resolveAllOptional(container, HANDOFF_ARTEFACT_BUILDER),
    linuxBootBuilders: resolveAllOptional(container, LINUX_BOOT_BUILDER),
  };
}

const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];

/**
 * The protocols `arch` really offers: those its builders build (the only ones
 * `build`/`boot` accept), described by the {@link BootProtocol} contributions.
 */
export function protocolsFor(arch: string, c: Contributions, declared: readonly BootProtocolInfo[] = []): BootProtocolInfo[] {
  const built = [...c.artefactBuilders, ...c.linuxBootBuilders].filter((b) => b.arch === arch).flatMap((b) => b.protocols);
  const described = new Map([...declared, ...c.protocols.filter((p) => p.arch === arch)].map((p) => [p.id, p.description]));
  return [...new Set(built)].map((id) => ({ id, description: described.get(id) ?? "" }));
}

/**
 * `arch` as the container composes it: its own parts plus what plugins
 * contributed for it under core tokens (formats, page tables, relocator,
 * hypercall ABI), and the protocols its registered builders build.
 */
export function composeArchitecture(arch: Architecture, c: Contributions): Architecture {
  const mine = <T extends { readonly arch: string }>(list: readonly T[]) => list.filter((x) => x.arch === arch.id);
  const composed: Partial<Architecture> = {
    pageTableFormats: union(arch.pageTableFormats, mine(c.pageTableFormats).map((p) => p.format)),
    protocols: protocolsFor(arch.id, c, arch.protocols),
    imageFormats: union(arch.imageFormats, mine(c.imageFormats).map((p) => p.format)),
    relocations: arch.relocations ?? mine(c.relocators)[0]?.relocator,
    hypercallAbi: arch.hypercallAbi ?? mine(c.hypercallAbis)[0],
  };
  // Same prototype and own fields (an arch may carry extras, e.g. how QEMU prints its registers), composed parts on top.
  return Object.assign(Object.create(Object.getPrototypeOf(arch) as object) as Architecture, arch, composed);
}
