import type { HandoffState, MemoryMap } from "@handoff/core";
import type { SegmentCheck } from "@handoff/core/kexec";
import type { HandoffGdt } from "./descriptors.js";
import type { IndirectionListRef } from "./ia32-stub/stub.js";
import type { X86LinuxPlan, X86StubLayout } from "./linux-boot.js";
import type { PvhStateMaker } from "./pvh-linux.js";

/** Identity page tables the stub loads before it enters long mode: CR3 and the bytes to place there. */
export interface X86StubTables {
  /** Where the tables are placed. */
  readonly base: bigint;
  readonly cr3: bigint;
  readonly bytes: Uint8Array;
}

/** Where a flat-payload artefact's entry state finds its GDT, boot data and page-table room. */
export interface X86PayloadPlacement {
  readonly gdt: HandoffGdt;
  /** Physical address of the GDT (the stub's `hd_gdt`). */
  readonly gdtBase: bigint;
  readonly entry: bigint;
  /** The zeroed boot_params page (linux32/linux64: esi/rsi). */
  readonly bootParams: bigint;
  /** Top of the kexec entry's stack (rsp on x86_64). */
  readonly stackTop: bigint;
  /** Room for identity tables (long mode only). */
  readonly tables: bigint;
}

/** The stub's state for one entry, and the page tables that state's CR3 needs (long mode only). */
export interface X86StubEntry {
  readonly gdt: HandoffGdt;
  readonly state: HandoffState;
  readonly tables?: X86StubTables;
}

/**
 * What differs between the two x86 widths for the builders they share (flat-
 * payload artefacts, Linux through the stub): one table per width, as
 * `@handoff/arm`'s `ArmWidth` does for arm32/arm64 and QEMU's hw/arm/boot.c
 * does with per-width data.
 */
export interface X86Width {
  readonly arch: "x86_32" | "x86_64";
  /** ELF e_machine (EM_386 3, EM_X86_64 62; ELF gABI): the images it runs and kexec_load's arch field. */
  readonly elfMachine: number;
  /** Bytes per indirection-list entry (the register width). */
  readonly word: 4 | 8;
  /** The width's Linux boot-protocol entry, the Linux builder's default (its other protocol is `pvh`) (`linux32`: code32_start, paging off; `linux64`: load + 0x200, long mode). */
  readonly linuxProtocol: "linux32" | "linux64";
  /** Protocols the flat-payload builder accepts, the default first. */
  readonly artefactProtocols: readonly string[];
  /** `step`, `offset` of the probe payload's byte pattern (a different one per width). */
  readonly probePattern: readonly [number, number];
  /** The PVH entry state on this width's register file. */
  readonly pvhEntry: PvhStateMaker;
  /** The flat-payload artefact's entry for the width's Linux protocol or `kexec`. */
  payloadEntry(protocol: string, placement: X86PayloadPlacement): Omit<X86StubEntry, "gdt">;
  /** Fixed places of the stub's own pages for a Linux boot. */
  readonly linuxLayout: X86StubLayout;
  /** The Linux entry of `plan` (GDT, state, identity tables) in a machine with `memoryMap`. */
  linuxEntry(plan: X86LinuxPlan, memoryMap: MemoryMap): X86StubEntry;
  /** The width's hand-off stub filled from `state`, checking `check`'s regions before it enters. */
  buildStub(state: HandoffState, list: IndirectionListRef, gdt: HandoffGdt, check: SegmentCheck): { readonly bytes: Uint8Array };
  /** The stub's symbols: `hd_gdt`, `hd_fail`, `hd_verify_fail` offsets. */
  readonly stubSymbols: { readonly gdt: number; readonly fail: number; readonly verifyFail: number };
}
