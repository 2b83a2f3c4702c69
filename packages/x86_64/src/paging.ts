import { radixPageTableFormat, type LevelGeometry, type PageTableGeometry, type RadixFormatSpec } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { X86_PAGING_NOTES, X86_TABLE_ENTRY, x86LeafEntry, x86PagingRegisters } from "@handoff/x86";
import { walkX86_64 } from "./paging-walker.js";

const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const GIB1 = 0x4000_0000n;

function geometry(levels: 4 | 5): PageTableGeometry {
  const level = (shift: number, leafSizes: bigint[]): LevelGeometry => ({ shift, entries: 512, leafSizes, tableAlign: KIB4 });
  const four = [level(39, []), level(30, [GIB1]), level(21, [MIB2]), level(12, [KIB4])];
  return { vaBits: levels === 5 ? 57 : 48, entryBytes: 8, levels: levels === 5 ? [level(48, []), ...four] : four };
}

function spec(levels: 4 | 5): RadixFormatSpec {
  const g = geometry(levels);
  const vaBits = BigInt(g.vaBits);
  const half = 1n << (vaBits - 1n);
  const upper = (1n << 64n) - half;
  return {
    id: levels === 5 ? "x86_64-5level" : "x86_64-4level",
    geometry: g,
    physicalAddressBits: 52,
    tableLimit: 1n << 52n,
    noExecute: true,
    // Canonical addresses only: bits 63..vaBits-1 all equal (SDM §4.5.1; §3.3.7.1).
    normaliseVa(va) {
      if (va >= 0n && va < half) return va;
      if (va >= upper && va < 1n << 64n) return va - upper + half;
      return undefined;
    },
    tableDescriptor: () => X86_TABLE_ENTRY,
    leafDescriptor: (_level, size, a) => x86LeafEntry(a, size !== KIB4, true),
    registers(root) {
      const registers = x86PagingRegisters(root, { pae: true, la57: levels === 5, longMode: true, nxe: true });
      const notes = [...X86_PAGING_NOTES, "EFER.NXE set: NX (bit 63) is a reserved bit when it is clear"];
      if (levels === 5) notes.push("CR4.LA57 can only be changed with paging off (enable it from 32-bit protected mode before setting CR0.PG)");
      return { registers, notes };
    },
  };
}

/** x86-64 4-level paging (PML4 -> PDPT -> PD -> PT). */
export const X86_64_4LEVEL: PageTableFormat = radixPageTableFormat(spec(4), "x86-64 4-level paging: 48-bit VA, 4 KiB / 2 MiB / 1 GiB pages, NX", walkX86_64);
/** x86-64 5-level paging (PML5 -> PML4 -> ...), needs CR4.LA57. */
export const X86_64_5LEVEL: PageTableFormat = radixPageTableFormat(spec(5), "x86-64 5-level paging (CR4.LA57): 57-bit VA, 4 KiB / 2 MiB / 1 GiB pages, NX", walkX86_64);
