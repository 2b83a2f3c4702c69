import type { MappingAttributes } from "@handoff/core/paging";

/*
 * What the x86 paging modes share (Intel SDM Vol. 3A ch. 4): the low bits of a
 * paging-structure entry mean the same in 32-bit, PAE, 4-level and 5-level
 * paging (§4.3 tables 4-4..4-6, §4.4 tables 4-8..4-11, §4.5 tables 4-14..4-20),
 * and the same control-register bits turn them on (§2.5; §2.2.1 for IA32_EFER).
 */

/** Paging-structure entry bits. */
export const X86_PTE = {
  /** Present. */
  P: 1n << 0n,
  /** Read/write (clear: read-only). */
  RW: 1n << 1n,
  /** User/supervisor (set: user-mode accesses allowed). */
  US: 1n << 2n,
  /** Page-level write-through (PAT index bit 0). */
  PWT: 1n << 3n,
  /** Page-level cache disable (PAT index bit 1). */
  PCD: 1n << 4n,
  /** Accessed. */
  A: 1n << 5n,
  /** Dirty (leaf entries). */
  D: 1n << 6n,
  /** Page size: a PDE / PDPTE that maps a page (in a PTE bit 7 is PAT). */
  PS: 1n << 7n,
  /** Execute-disable: 64-bit entries only, honoured with EFER.NXE. */
  NX: 1n << 63n,
} as const;

/** Power-on IA32_PAT (SDM Vol. 3A §13.12.4): entries WB, WT, UC-, UC, WB, WT, UC-, UC. */
export const IA32_PAT_DEFAULT = 0x0007_0406_0007_0406n;

/** Which paging features a mode turns on (each maps to one control-register bit). */
export interface X86PagingMode {
  /** CR4.PSE: 4 MiB pages in 32-bit paging. */
  readonly pse?: boolean;
  /** CR4.PAE: 64-bit entries (PAE, 4-level and 5-level paging). */
  readonly pae?: boolean;
  /** CR4.LA57: 5-level paging. */
  readonly la57?: boolean;
  /** EFER.LME and LMA: IA-32e mode (LMA is the CPU's to set; a walk reads it). */
  readonly longMode?: boolean;
  /** EFER.NXE: the NX bit is honoured (reserved otherwise). */
  readonly nxe?: boolean;
}

/**
 * cr3, cr4, efer and cr0 for a mode rooted at `root`: CR0 always PE | WP | PG
 * (bits 0, 16, 31; WP so read-only pages bind the kernel too); CR4 PSE (bit 4),
 * PAE (5), LA57 (12); EFER LME (8), LMA (10), NXE (11), as the mode asks.
 */
export function x86PagingRegisters(root: bigint, mode: X86PagingMode): Record<string, bigint> {
  const bit = (on: boolean | undefined, n: bigint) => (on ? 1n << n : 0n);
  return {
    cr3: root,
    cr4: bit(mode.pse, 4n) | bit(mode.pae, 5n) | bit(mode.la57, 12n),
    efer: bit(mode.longMode, 8n) | bit(mode.longMode, 10n) | bit(mode.nxe, 11n),
    cr0: (1n << 0n) | (1n << 16n) | (1n << 31n),
  };
}

/** The builder's notes every x86 paging mode carries (why CR0.WP, which PAT the memory types assume). */
export const X86_PAGING_NOTES: readonly string[] = [
  "CR0.WP set so read-only pages are read-only for the kernel too",
  `IA32_PAT must hold its power-on value 0x${IA32_PAT_DEFAULT.toString(16).padStart(16, "0")} (PCD|PWT = entry 3 = UC for device memory)`,
];

/** Non-leaf entries grant everything; the leaf decides (rights are the AND, NX the OR, of all levels). */
export const X86_TABLE_ENTRY = X86_PTE.P | X86_PTE.RW | X86_PTE.US | X86_PTE.A;

/**
 * A leaf entry's flag bits for `attributes`: present, accessed and dirty set
 * (so the CPU never writes the tables), R/W and U/S from the rights, PCD|PWT
 * (PAT entry 3, UC at power-on) for device memory, PS for a `large` page, and
 * NX for a non-executable mapping when the mode `hasNoExecute` (64-bit entries).
 */
export function x86LeafEntry(attributes: Required<MappingAttributes>, large: boolean, hasNoExecute: boolean): bigint {
  let bits = X86_PTE.P | X86_PTE.A | X86_PTE.D;
  if (attributes.writable) bits |= X86_PTE.RW;
  if (attributes.user) bits |= X86_PTE.US;
  if (attributes.memoryType === "device") bits |= X86_PTE.PCD | X86_PTE.PWT;
  if (large) bits |= X86_PTE.PS;
  if (hasNoExecute && !attributes.executable) bits |= X86_PTE.NX;
  return bits;
}
