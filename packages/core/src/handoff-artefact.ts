import type { HandoffState } from "./handoff-state.js";
import type { Segment } from "./image.js";
import { ValidationError } from "./errors.js";

/**
 * How to run an artefact in QEMU, naming files of the artefact: `-kernel` an
 * ELF that QEMU enters by its own notes (x86's PVH ELF), or generic-loader
 * blobs and a PC (arm).
 */
export type QemuLaunch =
  | { readonly kind: "kernel-elf"; readonly file: string }
  | { readonly kind: "loader"; readonly blobs: readonly { readonly file: string; readonly addr: bigint }[]; readonly entry: bigint };

/** A bootable hand-off: files to write, how QEMU starts them, and the state the CPU must reach. */
export interface HandoffArtefact {
  readonly arch: string;
  readonly protocol: string;
  /** Files of the artefact (names relative to the output directory). */
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array; readonly addr?: bigint; readonly role: string }[];
  readonly launch: QemuLaunch;
  /** Where the CPU starts (the stub). */
  readonly stubEntry: bigint;
  /** The stub's failure loop (`hd_fail`): the CPU spins here when the indirection list does not end within its bound. */
  readonly stubFail: bigint;
  /**
   * The stub's segment check: how many regions it hashes (0 = `--no-verify`)
   * and its mismatch loop (`hd_verify_fail`), where the CPU spins instead of
   * entering when a segment's SHA-256 differs from the plan's. Absent when
   * the builder's stub has no check (a plugin's).
   */
  readonly verify?: { readonly regions: number; readonly failPc: bigint };
  /** Where the stub hands over (the payload's entry). */
  readonly entry: bigint;
  readonly segments: readonly Segment[];
  readonly list: { readonly head: bigint; readonly maxSteps: bigint; readonly entries: readonly bigint[] };
  readonly pageTableRoot?: bigint;
  readonly state: HandoffState;
  /** QEMU machine settings the addresses assume. */
  readonly qemu: { readonly machine?: string; readonly memory: string };
  /** The boot data the protocol hands over, every field by its specification's name (PVH: `hvm_start_info`). */
  readonly bootInfo?: Readonly<Record<string, unknown>>;
}

/** What to build: a flat payload entered at its first byte under `protocol`. */
export interface ArtefactRequest {
  readonly protocol: string;
  readonly payload: Uint8Array;
  /** Builder-specific switches turned on, by the names the builder's `switches` declares (e.g. x86's `vmm-selectors`). */
  readonly switches?: readonly string[];
  /** Privilege to enter at, where the arch offers a choice: `el1`/`el2` (arm64), `svc`/`hyp` (arm32). */
  readonly entryMode?: string;
  /** Leave the stub's segment check out (an empty region table): `--no-verify`. */
  readonly noVerify?: boolean;
}

/** The same payload entered through QEMU's own loader (`-kernel`), to measure what that loader leaves in registers. */
export interface NativeProbe {
  /** The file QEMU's `-kernel` gets (a PVH ELF, an arm64 Image, a raw arm32 image). */
  readonly kernel: Uint8Array;
  /** Where QEMU's loader puts the payload's first instruction. */
  readonly entry: bigint;
  /** The state handoff promises for the comparable protocol. */
  readonly state: HandoffState;
}

/**
 * Builds flat-payload hand-off artefacts for one architecture (registered by
 * arch plugins under {@link HANDOFF_ARTEFACT_BUILDER}).
 */
export interface HandoffArtefactBuilder {
  readonly arch: string;
  /** Protocols `build` accepts, first is the default. */
  readonly protocols: readonly string[];
  /** Entry modes `build` accepts, first is the default (empty when there is no choice). */
  readonly entryModes: readonly string[];
  /** Switches `build` takes beyond the common request, by name, each with what it does (none when absent). */
  readonly switches?: Readonly<Record<string, string>>;
  /** The spin-at-entry probe payload (`jmp .` / `b .`). */
  probePayload(): Uint8Array;
  /** Builds the hand-off artefact for `request`. */
  build(request: ArtefactRequest): HandoffArtefact;
  /** The probe booted by QEMU's own loader, for the leftover report. */
  nativeProbe(): NativeProbe;
}

/** Token under which arch plugins register their {@link HandoffArtefactBuilder}. */
export const HANDOFF_ARTEFACT_BUILDER = Symbol.for("@handoff/core/HandoffArtefactBuilder");

/**
 * Checks a request against what `builder` accepts before anything is laid
 * out; `what` names the builder in the error. A switch must be one the builder
 * declares, an entry mode one it lists, the protocol one it builds.
 */
export function checkArtefactRequest(builder: HandoffArtefactBuilder, what: string, request: ArtefactRequest): void {
  const declared = Object.keys(builder.switches ?? {});
  for (const name of request.switches ?? []) {
    if (!declared.includes(name)) throw new ValidationError(what, `--${name} is not a switch of this architecture's builder (${declared.length === 0 ? "it takes none" : `it takes ${declared.map((d) => `--${d}`).join(", ")}`})`);
  }
  if (request.entryMode !== undefined && !builder.entryModes.includes(request.entryMode)) {
    throw new ValidationError(what, builder.entryModes.length === 0 ? "this architecture has no entry-mode choice" : `entry mode '${request.entryMode}' is not one of ${builder.entryModes.join(", ")}`);
  }
  if (!builder.protocols.includes(request.protocol)) throw new ValidationError(what, `protocol '${request.protocol}' is not one of ${builder.protocols.join(", ")}`);
}

/**
 * A probe payload: two pages, so a list carries a staged and an in-place page;
 * `spin` (a branch to itself) at the entry, then a byte pattern
 * `(i * step + offset) & 0xff` a wrong copy cannot reproduce by chance.
 */
export function spinProbePayload(spin: Uint8Array, step: number, offset: number): Uint8Array {
  const payload = new Uint8Array(2 * 4096);
  payload.set(spin, 0);
  for (let i = spin.length; i < payload.length; i++) payload[i] = (i * step + offset) & 0xff;
  return payload;
}
