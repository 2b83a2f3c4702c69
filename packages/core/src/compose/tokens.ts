import type { Architecture } from "../architecture.js";
import type { HandoffArtefact, NativeProbe } from "../handoff-artefact.js";
import type { ImageFormat } from "../image-format.js";
import type { PageTableFormat } from "../paging/types.js";
import type { Relocator } from "../link/relocator.js";

/**
 * Core tokens under which plugins contribute parts. Every token is made with
 * `Symbol.for("@handoff/...")`, so two copies of core loaded side by side
 * still agree on them; plugins register into a child container.
 */

/** One boot or hand-off protocol an architecture offers, with what it is for. */
export interface BootProtocol {
  /** Architecture id it belongs to. */
  readonly arch: string;
  readonly id: string;
  readonly description: string;
}
/** Token of {@link BootProtocol} contributions (descriptions; builders say which protocols they build). */
export const BOOT_PROTOCOL = Symbol.for("@handoff/core/BootProtocol");

/** An image format an architecture recognises (one format may serve several arches, e.g. bzImage). */
export interface ImageFormatContribution {
  readonly arch: string;
  readonly format: ImageFormat;
}
/** Token of {@link ImageFormatContribution}s. */
export const IMAGE_FORMAT = Symbol.for("@handoff/core/ImageFormat");

/** A translation-table format an architecture builds. */
export interface PageTableFormatContribution {
  readonly arch: string;
  readonly format: PageTableFormat;
}
/** Token of {@link PageTableFormatContribution}s. */
export const PAGE_TABLE_FORMAT = Symbol.for("@handoff/core/PageTableFormat");

/** The ELF relocation types an architecture applies. */
export interface RelocatorContribution {
  readonly arch: string;
  readonly relocator: Relocator;
}
/** Token of {@link RelocatorContribution}s. */
export const RELOCATOR = Symbol.for("@handoff/core/Relocator");

/** Token of `HypercallAbi`s (each names its arch and hypervisor). */
export const HYPERCALL_ABI = Symbol.for("@handoff/core/HypercallAbi");

/** A boot of an artefact under an emulator: the artefact, how long to wait, where progress lines go. */
export interface QemuBootRequest {
  readonly artefact: HandoffArtefact;
  readonly timeoutMs: number;
  /** Where one-line progress reports go (a TTY's status line). */
  readonly progress?: (line: string) => void;
}

/** A probe boot: also compare the CPU at the entry with the artefact's promised state (and, with `native`, QEMU's own loader). */
export interface QemuProbeRequest extends QemuBootRequest {
  /** The architecture, for its register file. */
  readonly arch: Architecture;
  readonly native?: NativeProbe;
}

/** The least every probe report says: whether every register and segment matched the promise. */
export interface QemuProbeOutcome {
  readonly arch: string;
  readonly protocol: string;
  readonly entry: bigint;
  readonly ok: boolean;
}

/** Runs artefacts under QEMU (@handoff/qemu) or a stand-in: the backend `handoff boot` uses. */
export interface QemuRunner {
  /** Boots, waits for the entry (or the stub's failure loop) and compares registers and memory. */
  probe(request: QemuProbeRequest): Promise<QemuProbeOutcome>;
  /** Boots and returns what the guest printed on its serial console until it stops or the time is up, and how it ended. */
  stream(request: QemuBootRequest & { readonly onSerial?: (text: string) => void }): Promise<QemuStreamOutcome>;
}

/**
 * How a streamed boot ended: the guest powered off, reset the machine (a
 * triple fault or a reboot request: QEMU runs with -no-reboot), reported a
 * panic (pvpanic), the time ran out with the guest still running, or the
 * emulator exited for a reason of its own.
 */
export type QemuStreamEnding = "guest-shutdown" | "guest-reset" | "guest-panic" | "timeout" | "exited";

/** What a streamed boot printed and how it ended. */
export interface QemuStreamOutcome {
  readonly serial: string;
  readonly ending: QemuStreamEnding;
}
/** Token of the {@link QemuRunner} the services use; a test registers its own to swap the backend. */
export const QEMU_RUNNER = Symbol.for("@handoff/core/QemuRunner");

/** The live kexec backend (kexec_load / kexec_file_load / reboot), defined in `@handoff/core/kexec`. */
export type { KexecBackend } from "../kexec/live-backend.js";
/** Token of the {@link KexecBackend}. */
export const KEXEC_BACKEND = Symbol.for("@handoff/core/KexecBackend");
