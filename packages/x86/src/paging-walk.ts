import type { TranslationRegisters } from "@handoff/core/paging";

/*
 * What the x86 walkers (32-bit/PAE in @handoff/x86_32, 4/5-level in
 * @handoff/x86_64) read alike: the paging control state and a leaf's memory
 * type. Kept apart from the table builders' bit constants on purpose, so a
 * builder mistake is not repeated by the walker that checks it.
 */

/** IA32_PAT at power-on (SDM Vol. 3A §13.12.4), assumed when the registers give none. */
const POWER_ON_PAT = 0x0007_0406_0007_0406n;

/** PAT memory-type encodings (SDM Vol. 3A table 13-10), as a walk reports them. */
const PAT_TYPES: Readonly<Record<number, string>> = { 0: "device", 1: "x86:WC", 4: "x86:WT", 5: "x86:WP", 6: "normal", 7: "x86:UC-" };

/** The paging control state a walk starts from; a register the caller leaves out reads as zero (IA32_PAT as at power-on). */
export interface X86PagingState {
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
  readonly pat: bigint;
}

/** Reads cr0, cr3, cr4, efer and ia32_pat from a walk's registers. */
export function x86PagingState(registers: TranslationRegisters): X86PagingState {
  return {
    cr0: registers.cr0 ?? 0n,
    cr3: registers.cr3 ?? 0n,
    cr4: registers.cr4 ?? 0n,
    efer: registers.efer ?? 0n,
    pat: registers.ia32_pat ?? POWER_ON_PAT,
  };
}

/**
 * The memory type of a leaf `entry` (SDM Vol. 3A §13.12.3): PAT:PCD:PWT index
 * an IA32_PAT entry; PCD and PWT are bits 4 and 3, the PAT bit is `patBit`
 * (7 in a PTE, 12 in a large-page entry).
 */
export function x86LeafMemoryType(pat: bigint, entry: bigint, patBit: number): string {
  const set = (n: number) => ((entry >> BigInt(n)) & 1n) === 1n;
  const index = (set(patBit) ? 4 : 0) | (set(4) ? 2 : 0) | (set(3) ? 1 : 0);
  const type = Number((pat >> BigInt(8 * index)) & 7n);
  return PAT_TYPES[type] ?? `x86:reserved-type-${type}`;
}
