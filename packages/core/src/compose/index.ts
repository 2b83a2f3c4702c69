/**
 * @handoff/core/compose: dependency injection over core's contracts — the
 * tokens plugins register parts under, `defineArchitecture`, the views that
 * compose an architecture from its contributions, and the services users
 * resolve from a tsyringe container. Importing this subpath loads tsyringe, so
 * an entry point imports `reflect-metadata` first; core's root does not need it.
 * @packageDocumentation
 */
export { defineArchitecture, type ArchitectureDefinition, type DefinedArchitecture } from "./define-architecture.js";
export {
  BOOT_PROTOCOL,
  IMAGE_FORMAT,
  PAGE_TABLE_FORMAT,
  RELOCATOR,
  HYPERCALL_ABI,
  QEMU_RUNNER,
  KEXEC_BACKEND,
  type BootProtocol,
  type ImageFormatContribution,
  type PageTableFormatContribution,
  type RelocatorContribution,
  type QemuRunner,
  type QemuBootRequest,
  type QemuProbeRequest,
  type QemuProbeOutcome,
  type QemuStreamEnding,
  type QemuStreamOutcome,
  type KexecBackend,
} from "./tokens.js";
export { composeArchitecture, protocolsFor, type Contributions } from "./views.js";
export { ArchitectureRegistry } from "./registry.js";
export { ContributionSet, ArchitectureCatalog, BuilderLookup, ImageLoader, ArtefactService, BootService, NoBuilderError } from "./services.js";
