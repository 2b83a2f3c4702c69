import { inject, injectAll, injectable } from "tsyringe";
import { ARCHITECTURE, type Architecture } from "../architecture.js";
import { ELF_IMAGE_FORMAT } from "../elf/elf-image-format.js";
import { FormatError, HandoffError, type HandoffErrorOptions } from "../errors.js";
import { HANDOFF_ARTEFACT_BUILDER, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder } from "../handoff-artefact.js";
import type { HypercallAbi } from "../hypercall-abi.js";
import type { Image } from "../image.js";
import type { ImageFormat, ImageInput } from "../image-format.js";
import { resolveImageArchitecture } from "../machine.js";
import { LINUX_BOOT_BUILDER, type LinuxBootBuilder, type LinuxBootRequest } from "../linux-boot.js";
import { ArchitectureRegistry } from "./registry.js";
import {
  BOOT_PROTOCOL,
  HYPERCALL_ABI,
  IMAGE_FORMAT,
  PAGE_TABLE_FORMAT,
  QEMU_RUNNER,
  RELOCATOR,
  type BootProtocol,
  type ImageFormatContribution,
  type PageTableFormatContribution,
  type QemuProbeOutcome,
  type QemuProbeRequest,
  type QemuRunner,
  type RelocatorContribution,
} from "./tokens.js";
import { composeArchitecture, type Contributions } from "./views.js";

const ALL = { isOptional: true } as const;

/** No installed plugin builds what was asked for `arch` (or not with that protocol). */
export class NoBuilderError extends HandoffError {
  readonly code = "E_NO_BUILDER";
  constructor(
    readonly arch: string,
    /** `artefact` (flat payload through the stub) or `linux` (a real kernel). */
    readonly kind: "artefact" | "linux",
    readonly protocol: string | undefined,
    /** Protocols the installed builders of this kind build for `arch`. */
    readonly available: readonly string[],
    options?: HandoffErrorOptions,
  ) {
    super(
      available.length === 0
        ? `${arch}: no installed plugin builds ${kind === "linux" ? "Linux boots" : "hand-off artefacts"} for this architecture`
        : `${arch}: protocol '${protocol}' is not built here (${kind === "linux" ? "Linux boots" : "artefacts"}: ${available.join(", ")})`,
      options,
    );
  }
}

/** Every contribution in the container, gathered once (the services below share it). */
@injectable()
export class ContributionSet implements Contributions {
  constructor(
    @injectAll(BOOT_PROTOCOL, ALL) readonly protocols: BootProtocol[],
    @injectAll(IMAGE_FORMAT, ALL) readonly imageFormats: ImageFormatContribution[],
    @injectAll(PAGE_TABLE_FORMAT, ALL) readonly pageTableFormats: PageTableFormatContribution[],
    @injectAll(RELOCATOR, ALL) readonly relocators: RelocatorContribution[],
    @injectAll(HYPERCALL_ABI, ALL) readonly hypercallAbis: HypercallAbi[],
    @injectAll(HANDOFF_ARTEFACT_BUILDER, ALL) readonly artefactBuilders: HandoffArtefactBuilder[],
    @injectAll(LINUX_BOOT_BUILDER, ALL) readonly linuxBootBuilders: LinuxBootBuilder[],
  ) {}
}

/** The installed architectures as composed from the container: what `handoff archs` lists, with their real protocols. */
@injectable()
export class ArchitectureCatalog {
  /** Lookup by id / ELF machine over the composed architectures. */
  readonly registry: ArchitectureRegistry;

  constructor(@injectAll(ARCHITECTURE, ALL) architectures: Architecture[], @inject(ContributionSet) contributions: ContributionSet) {
    this.registry = new ArchitectureRegistry(architectures.map((a) => composeArchitecture(a, contributions)));
  }

  /** The architecture `id`; UnknownArchitectureError lists the installed ones. */
  get(id: string): Architecture {
    return this.registry.get(id);
  }

  /** Every installed architecture, in id order. */
  all(): Architecture[] {
    return this.registry.all();
  }
}

/** Finds the builder that builds a protocol for an architecture (the lookup `resolveAll(...).find(...)` used to be). */
@injectable()
export class BuilderLookup {
  constructor(@inject(ContributionSet) private readonly contributions: ContributionSet) {}

  /** The flat-payload artefact builder of `arch` for `protocol` (default: the first builder's default). */
  artefactBuilder(arch: string, protocol?: string): HandoffArtefactBuilder {
    return pick(arch, "artefact", this.contributions.artefactBuilders, protocol);
  }

  /** The Linux boot builder of `arch` for `protocol` (default: the first builder's default). */
  linuxBootBuilder(arch: string, protocol?: string): LinuxBootBuilder {
    return pick(arch, "linux", this.contributions.linuxBootBuilders, protocol);
  }
}

function pick<B extends { readonly arch: string; readonly protocols: readonly string[] }>(arch: string, kind: "artefact" | "linux", all: readonly B[], protocol: string | undefined): B {
  const mine = all.filter((b) => b.arch === arch);
  const found = protocol === undefined ? mine[0] : mine.find((b) => b.protocols.includes(protocol));
  if (!found) throw new NoBuilderError(arch, kind, protocol, [...new Set(mine.flatMap((b) => b.protocols))]);
  return found;
}

/** Loads images: ELF (core's) first, then every format a plugin contributed; an image's arch is resolved through the installed architectures. */
@injectable()
export class ImageLoader {
  constructor(
    @inject(ContributionSet) private readonly contributions: ContributionSet,
    @injectAll(ARCHITECTURE, ALL) private readonly architectures: Architecture[],
  ) {}

  /** The formats tried, ELF first; with `arch`, only that arch's (plus ELF). */
  formats(arch?: string): ImageFormat[] {
    const contributed = this.contributions.imageFormats.filter((c) => arch === undefined || c.arch === arch).map((c) => c.format);
    return [...new Set([ELF_IMAGE_FORMAT, ...contributed])];
  }

  /** Parses `input` with the first format whose probe accepts it; FormatError lists the formats tried. */
  load(input: ImageInput, arch?: string): { readonly image: Image; readonly format: ImageFormat } {
    const formats = this.formats(arch);
    for (const format of formats) {
      let matches = false;
      try {
        matches = format.probe(input);
      } catch {
        matches = false; // a probe must not throw; one that does simply does not match
      }
      if (matches) return { image: resolveImageArchitecture(format.parse(input), this.architectures), format };
    }
    throw new FormatError(input.path, "image", "magic", 0, `not a recognised image format (tried: ${formats.map((f) => f.id).join(", ")})`);
  }
}

/** Builds artefacts: a flat payload or a real Linux kernel, through whichever installed builder builds the protocol. */
@injectable()
export class ArtefactService {
  constructor(@inject(BuilderLookup) private readonly builders: BuilderLookup) {}

  /** A flat-payload artefact (`request.protocol` picks the builder). */
  build(arch: string, request: ArtefactRequest): HandoffArtefact {
    return this.builders.artefactBuilder(arch, request.protocol).build(request);
  }

  /** A Linux boot artefact (`request.protocol` picks the builder). */
  buildLinux(arch: string, request: LinuxBootRequest): HandoffArtefact {
    return this.builders.linuxBootBuilder(arch, request.protocol).build(request);
  }
}

/** Boots artefacts on whatever {@link QemuRunner} the container holds (QEMU itself, or a test's stand-in). */
@injectable()
export class BootService {
  constructor(
    @inject(BuilderLookup) private readonly builders: BuilderLookup,
    @inject(ArchitectureCatalog) private readonly catalog: ArchitectureCatalog,
    @inject(QEMU_RUNNER) private readonly runner: QemuRunner,
  ) {}

  /** Builds the probe artefact of `arch`/`protocol` and runs it, comparing the CPU with the promise. */
  async probe(arch: string, options: { readonly protocol?: string; readonly entryMode?: string; readonly timeoutMs: number; readonly native?: boolean }): Promise<QemuProbeOutcome> {
    const builder = this.builders.artefactBuilder(arch, options.protocol);
    const artefact = builder.build({ protocol: options.protocol ?? builder.protocols[0]!, payload: builder.probePayload(), entryMode: options.entryMode });
    const request: QemuProbeRequest = { artefact, timeoutMs: options.timeoutMs, arch: this.catalog.get(arch), ...(options.native ? { native: builder.nativeProbe() } : {}) };
    return this.runner.probe(request);
  }
}
