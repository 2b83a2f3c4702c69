import type { HandoffState } from "@handoff/core";
import type { SegmentCheck } from "@handoff/core/kexec";

/** Where the stub finds its indirection list, and how many entries it may walk. */
export interface IndirectionListRef {
  /** The list's first entry (normally the first list page | INDIRECTION 0x2). */
  readonly head: bigint;
  /** Bound on entries walked; the stub spins at `hd_fail` when it is exceeded. */
  readonly maxSteps: bigint;
}

/**
 * Identity tables a width's stub checks the segments over with the MMU and
 * caches on: one more segment at `at` (checked first, with the MMU still
 * off), and the values the stub's data block takes (`registers`, each written
 * to the stub field named after it).
 */
export interface StubCheckTables {
  readonly at: bigint;
  readonly bytes: Uint8Array;
  readonly registers: Readonly<Record<string, bigint>>;
}

/** What a width's check tables must map: the segments, the stub itself, the console the stub reports a mismatch on. */
export interface StubCheckTablesRequest {
  readonly segments: readonly { readonly mem: bigint; readonly memsz: bigint }[];
  readonly stubAt: bigint;
  /** The UART data register of the mismatch line (mapped as Device memory); absent = none. */
  readonly console?: bigint;
  /** Where the tables go (page-aligned, clear of everything else). */
  readonly at: bigint;
}

/** What an Arm entry state needs: where the DTB is, where to jump and which entry mode (of {@link ArmWidth.entryModes}). */
export interface ArmEntryRequest {
  readonly dtb: bigint;
  readonly entry: bigint;
  readonly mode: string;
}

/** gABI e_machine of 32-bit Arm (AArch32): the machine arm32 images name. */
export const EM_ARM = 40;
/** gABI e_machine of 64-bit Arm (AArch64): the machine arm64 images name. */
export const EM_AARCH64 = 183;

/**
 * What differs between the two Arm widths for the code they share (loader
 * artefacts, DTB-based Linux boot): one table per width, as QEMU's
 * hw/arm/boot.c serves both widths with per-width data.
 */
export interface ArmWidth {
  /** Architecture id: `arm32` or `arm64`. */
  readonly arch: string;
  /** ELF e_machine (EM_AARCH64 183, EM_ARM 40): kexec_load's arch field (include/uapi/linux/kexec.h KEXEC_ARCH_*). */
  readonly elfMachine: number;
  /** Bytes per indirection-list entry (the register width). */
  readonly word: 4 | 8;
  /**
   * Entry modes, the default first; the second is the hypervisor mode
   * (`hyp` / `el2`), which needs QEMU's `virtualization=on`.
   */
  readonly entryModes: readonly [string, string];
  /** `b .` in the width's instruction set, little-endian. */
  readonly spin: Uint8Array;
  /** The Linux boot / kexec entry state for `request`. */
  entryState(request: ArmEntryRequest): HandoffState;
  /**
   * The width's hand-off stub with its data block filled from `state`,
   * checking `check`'s regions before it enters. `atHypervisor` is the same
   * entry in the hypervisor mode: arm64's stub takes it when it finds itself
   * running at EL2 (kexec from a kernel booted at EL2); arm32's stub enters
   * as `state` says. `tables`: from {@link ArmWidth.checkTables}, the first of `check`'s regions.
   */
  buildStub(state: HandoffState, list: IndirectionListRef, check: SegmentCheck, atHypervisor?: HandoffState, tables?: StubCheckTables): { readonly bytes: Uint8Array };
  /**
   * Identity tables for the stub's check with the MMU and caches on (arm64);
   * absent: the width's stub checks with them off (arm32).
   */
  checkTables?(request: StubCheckTablesRequest): StubCheckTables;
  /** Offset of the stub's failure loop (`hd_fail`). */
  readonly stubFailOffset: bigint;
  /** Offset of the stub's segment-mismatch loop (`hd_verify_fail`). */
  readonly stubVerifyFailOffset: bigint;
  /** The probe QEMU's own loader boots (`-kernel`): the file and where its first instruction lands. */
  nativeProbeImage(): { readonly kernel: Uint8Array; readonly entry: bigint };
}

/** The QEMU machine for an entry mode: the hypervisor mode needs EL2 / HYP, i.e. `virtualization=on`. */
export function armVirtMachine(width: ArmWidth, entryMode: string | undefined): string {
  return entryMode === width.entryModes[1] ? "virt,virtualization=on" : "virt";
}
