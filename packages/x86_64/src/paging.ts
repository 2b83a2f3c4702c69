import { radixPageTableFormat, type LevelGeometry, type MappingAttributes, type PageTableGeometry, type RadixFormatSpec } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { walkX86_64 } from "./paging-walker.js";

// Paging-structure entry bits, Intel SDM Vol. 3A §4.5 tables 4-14..4-20.
const P = 1n << 0n;
const RW = 1n << 1n;
const US = 1n << 2n;
const PWT = 1n << 3n;
const PCD = 1n << 4n;
const A = 1n << 5n;
const D = 1n << 6n;
/** PS in a PDPTE/PDE: the entry maps a 1 GiB / 2 MiB page (bit 7; in a PTE bit 7 is PAT). */
const PS = 1n << 7n;
const NX = 1n << 63n;

// Control registers, SDM Vol. 3A §2.5 and §2.2.1 (IA32_EFER).
const CR0_PE = 1n << 0n;
const CR0_WP = 1n << 16n;
const CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n;
const CR4_LA57 = 1n << 12n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const EFER_NXE = 1n << 11n;

const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const GIB1 = 0x4000_0000n;

/** Power-on IA32_PAT (SDM Vol. 3A §13.12.4): entries WB, WT, UC-, UC, WB, WT, UC-, UC. */
export const IA32_PAT_DEFAULT = 0x0007_0406_0007_0406n;

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
    // Non-leaf entries grant everything; the leaf decides (rights are the AND / NX the OR of all levels).
    tableDescriptor: () => P | RW | US | A,
    leafDescriptor(_level, size, a: Required<MappingAttributes>) {
      let bits = P | A | D;
      if (a.writable) bits |= RW;
      if (a.user) bits |= US;
      // PAT index 3 = PCD|PWT, UC in the power-on PAT; index 0 = WB.
      if (a.memoryType === "device") bits |= PCD | PWT;
      if (size !== KIB4) bits |= PS;
      if (!a.executable) bits |= NX;
      return bits;
    },
    registers(root) {
      const registers: Record<string, bigint> = {
        cr3: root,
        cr4: CR4_PAE | (levels === 5 ? CR4_LA57 : 0n),
        efer: EFER_LME | EFER_LMA | EFER_NXE,
        cr0: CR0_PE | CR0_WP | CR0_PG,
      };
      const notes = [
        "CR0.WP set so read-only pages are read-only for the kernel too",
        "EFER.NXE set: NX (bit 63) is a reserved bit when it is clear",
        `IA32_PAT must hold its power-on value ${"0x" + IA32_PAT_DEFAULT.toString(16)} (PCD|PWT = entry 3 = UC for device memory)`,
      ];
      if (levels === 5) notes.push("CR4.LA57 can only be changed with paging off (enable it from 32-bit protected mode before setting CR0.PG)");
      return { registers, notes };
    },
  };
}

/** x86-64 4-level paging (PML4 -> PDPT -> PD -> PT). */
export const X86_64_4LEVEL: PageTableFormat = radixPageTableFormat(spec(4), "x86-64 4-level paging: 48-bit VA, 4 KiB / 2 MiB / 1 GiB pages, NX", walkX86_64);
/** x86-64 5-level paging (PML5 -> PML4 -> ...), needs CR4.LA57. */
export const X86_64_5LEVEL: PageTableFormat = radixPageTableFormat(spec(5), "x86-64 5-level paging (CR4.LA57): 57-bit VA, 4 KiB / 2 MiB / 1 GiB pages, NX", walkX86_64);
