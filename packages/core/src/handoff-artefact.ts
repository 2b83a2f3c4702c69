import { alignUp, hex } from "./bits.js";
import { ValidationError } from "./errors.js";
import type { HandoffState } from "./handoff-state.js";
import type { Segment } from "./image.js";

// kexec indirection-list flags: one copy, in indirection-list.ts (merged from branch segments).
import { IND_DESTINATION, IND_DONE, IND_INDIRECTION, IND_SOURCE, IND_ZERO } from "./indirection-list.js";
export { IND_DESTINATION, IND_INDIRECTION, IND_DONE, IND_SOURCE, IND_ZERO };

const PAGE = 4096n;

/** Bytes at a physical address (a loader blob, an ELF PT_LOAD). */
export interface PlacedBytes {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
  /** What it is: `staging`, `indirection-list`, `stub`, `page-tables`... */
  readonly role: string;
}

/** Where a flat payload goes and where its staging copy and list live. */
export interface FlatPayloadLayoutOptions {
  /** Bytes per list entry: 4 on 32-bit, 8 on 64-bit. */
  readonly word: 4 | 8;
  readonly payload: Uint8Array;
  /** Destination (page-aligned); the payload's first byte lands here. */
  readonly dest: bigint;
  /** Extra zero-filled pages after the payload (a BSS); they become ZERO entries. */
  readonly zeroPages?: number;
  /** Staging for pages copied from elsewhere (no page of it may be a destination). */
  readonly staging: bigint;
  /** Page-aligned address of the list pages. */
  readonly listBase: bigint;
  /**
   * Indexes of payload pages staged in place (the source page is its own
   * destination): the copy-safety rule "a source page is its own destination
   * or no one's" exercised with overlapping staging.
   */
  readonly inPlace?: ReadonlySet<number>;
  /** Entries per list page before chaining with INDIRECTION; default: a full page. */
  readonly entriesPerPage?: number;
}

/** A flat payload staged for a stub: what to pre-load, the list head and the resulting segment. */
export interface FlatPayloadLayout {
  readonly head: bigint;
  readonly maxSteps: bigint;
  /** Pre-loaded memory: staging pages, in-place pages (at their destination) and list pages. */
  readonly placed: readonly PlacedBytes[];
  /** The destination segment the list produces. */
  readonly segment: Segment;
  readonly entries: readonly bigint[];
}

/**
 * Stage a flat payload for the kexec indirection list: one DESTINATION, a
 * SOURCE per payload page (from staging, or in place), a ZERO per BSS page,
 * DONE; list pages chained with INDIRECTION. A source page is always either
 * its own destination or outside every destination.
 */
export function layoutFlatPayload(o: FlatPayloadLayoutOptions): FlatPayloadLayout {
  for (const [n, v] of [["dest", o.dest], ["staging", o.staging], ["listBase", o.listBase]] as const) {
    if (v % PAGE !== 0n) throw new ValidationError("flat payload layout", `${n} ${hex(v)} is not page-aligned`);
  }
  const pages = Number(alignUp(BigInt(o.payload.length), PAGE) / PAGE);
  const zeroPages = o.zeroPages ?? 0;
  const destEnd = o.dest + BigInt(pages + zeroPages) * PAGE;
  const stagingPages = pages - [...(o.inPlace ?? [])].filter((i) => i < pages).length;
  const stagingEnd = o.staging + BigInt(stagingPages) * PAGE;
  if (o.staging < destEnd && o.dest < stagingEnd) throw new ValidationError("flat payload layout", "staging overlaps the destination (a source page must be its own destination or no one's)");
  const entries: bigint[] = [o.dest | IND_DESTINATION];
  const placed: PlacedBytes[] = [];
  const staging = new Uint8Array(stagingPages * Number(PAGE));
  let s = 0;
  for (let i = 0; i < pages; i++) {
    const page = new Uint8Array(Number(PAGE));
    page.set(o.payload.subarray(i * Number(PAGE), (i + 1) * Number(PAGE)));
    const dest = o.dest + BigInt(i) * PAGE;
    if (o.inPlace?.has(i)) {
      placed.push({ addr: dest, bytes: page, role: "staging (in place)" });
      entries.push(dest | IND_SOURCE);
    } else {
      staging.set(page, s * Number(PAGE));
      entries.push((o.staging + BigInt(s) * PAGE) | IND_SOURCE);
      s++;
    }
  }
  for (let i = 0; i < zeroPages; i++) entries.push(IND_ZERO);
  entries.push(IND_DONE);
  if (stagingPages) placed.push({ addr: o.staging, bytes: staging, role: "staging" });
  const per = o.entriesPerPage ?? Number(PAGE) / o.word - 1;
  if (per < 1 || per > Number(PAGE) / o.word - 1) throw new ValidationError("flat payload layout", `entriesPerPage ${per} out of range`);
  const listPages = Math.ceil(entries.length / per);
  const list = new Uint8Array(listPages * Number(PAGE));
  const view = new DataView(list.buffer);
  const listEnd = o.listBase + BigInt(listPages) * PAGE;
  if (o.listBase < destEnd && o.dest < listEnd) throw new ValidationError("flat payload layout", "list pages overlap the destination");
  for (let p = 0; p < listPages; p++) {
    const chunk = entries.slice(p * per, (p + 1) * per);
    if (p + 1 < listPages) chunk.push((o.listBase + BigInt(p + 1) * PAGE) | IND_INDIRECTION);
    chunk.forEach((w, i) => {
      const at = p * Number(PAGE) + i * o.word;
      if (o.word === 8) view.setBigUint64(at, w, true);
      else view.setUint32(at, Number(w), true);
    });
  }
  placed.push({ addr: o.listBase, bytes: list, role: "indirection-list" });
  return {
    head: o.listBase | IND_INDIRECTION,
    maxSteps: BigInt(entries.length + listPages + 1),
    placed,
    entries,
    segment: { data: { kind: "bytes", bytes: o.payload }, bufsz: BigInt(o.payload.length), mem: o.dest, memsz: BigInt(pages + zeroPages) * PAGE, role: "kernel", name: "payload" },
  };
}

/**
 * How to run an artefact in QEMU, naming files of the artefact: `-kernel` a PVH
 * ELF (x86), or generic-loader blobs and a PC (arm).
 */
export type QemuLaunch =
  | { readonly kind: "pvh-elf"; readonly file: string }
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
  /** Where the stub hands over (the payload's entry). */
  readonly entry: bigint;
  readonly segments: readonly Segment[];
  readonly list: { readonly head: bigint; readonly maxSteps: bigint; readonly entries: readonly bigint[] };
  readonly pageTableRoot?: bigint;
  readonly state: HandoffState;
  /** QEMU machine settings the addresses assume. */
  readonly qemu: { readonly machine?: string; readonly memory: string };
}

/** What to build: a flat payload entered at its first byte under `protocol`. */
export interface ArtefactRequest {
  readonly protocol: string;
  readonly payload: Uint8Array;
  /** Use 0x08/0x10 selectors instead of boot.rst's 0x10/0x18 (x86). */
  readonly vmmSelectors?: boolean;
  /** Privilege to enter at, where the arch offers a choice: `el1`/`el2` (arm64), `svc`/`hyp` (arm32). */
  readonly entryMode?: string;
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
  /** The spin-at-entry probe payload (`jmp .` / `b .`). */
  probePayload(): Uint8Array;
  /** Builds the hand-off artefact for `request`. */
  build(request: ArtefactRequest): HandoffArtefact;
  /** The probe booted by QEMU's own loader, for the leftover report. */
  nativeProbe(): NativeProbe;
}

/** Token under which arch plugins register their {@link HandoffArtefactBuilder}. */
export const HANDOFF_ARTEFACT_BUILDER = Symbol.for("@handoff/core/HandoffArtefactBuilder");
