import { radixPageTableFormat, type LevelGeometry, type MappingAttributes, type PageTableGeometry, type RadixFormatSpec } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { walkSv } from "./paging-walker.js";

/*
 * RISC-V Sv39 and Sv48 page tables (RISC-V Privileged ISA, §10.4 "Sv32" for the
 * PTE layout and the translation algorithm, §10.5 "Sv39", §10.6 "Sv48"; satp in
 * §10.1.11; Svpbmt, "Page-Based Memory Types", for the PBMT field).
 */

// PTE bits, Privileged ISA §10.4.1 (Figure "Sv32 page table entry"), same low bits in Sv39/Sv48.
const PTE_V = 1n << 0n;
const PTE_R = 1n << 1n;
const PTE_W = 1n << 2n;
const PTE_X = 1n << 3n;
const PTE_U = 1n << 4n;
/** G (bit 5) is left clear: the hand-off's mappings belong to no address space in particular, but nothing relies on global. */
const PTE_A = 1n << 6n;
const PTE_D = 1n << 7n;
/** PBMT [62:61] (Svpbmt): 0 PMA, 1 NC, 2 IO. */
const PTE_PBMT_SHIFT = 61n;
const PBMT_IO = 2n;
/** PPN starts at PTE bit 10 and is PA >> 12, so the descriptor holds PA >> 2 (§10.5 Figure "Sv39 page table entry"). */
const PTE_PPN_SHIFT = 10;
const PAGE_SHIFT = 12;

/** satp.MODE values (§10.1.11, Table "encoding of satp MODE field"). */
export const SATP_MODE_SV39 = 8n;
export const SATP_MODE_SV48 = 9n;
const SATP_MODE_SHIFT = 60n;

/** Sv39 and Sv48 output 56-bit physical addresses (§10.5, §10.6). */
const PA_BITS = 56;

function geometry(levels: number): PageTableGeometry {
  const out: LevelGeometry[] = [];
  // Every level: 512 eight-byte PTEs in one 4 KiB page; leaves allowed at every level (megapages, gigapages, terapages).
  for (let i = levels - 1; i >= 0; i--) {
    const shift = PAGE_SHIFT + 9 * i;
    out.push({ shift, entries: 512, leafSizes: [1n << BigInt(shift)], tableAlign: 4096n });
  }
  return { vaBits: PAGE_SHIFT + 9 * levels, entryBytes: 8, levels: out };
}

function spec(levels: 3 | 4): RadixFormatSpec {
  const g = geometry(levels);
  const vaBits = g.vaBits;
  const half = 1n << BigInt(vaBits - 1);
  const upper = (1n << 64n) - half;
  const mode = levels === 3 ? SATP_MODE_SV39 : SATP_MODE_SV48;
  const id = levels === 3 ? "riscv64-sv39" : "riscv64-sv48";
  return {
    id,
    geometry: g,
    physicalAddressBits: PA_BITS,
    outputAddressShift: PAGE_SHIFT - PTE_PPN_SHIFT,
    // satp.PPN is 44 bits: any 56-bit physical address can hold the root.
    tableLimit: 1n << BigInt(PA_BITS),
    noExecute: true,
    // Bits 63..vaBits of a valid VA equal bit vaBits-1 (§10.5: "must be equal to bit 38").
    normaliseVa(va) {
      if (va >= 0n && va < half) return va;
      if (va >= upper && va < 1n << 64n) return va - upper + half;
      return undefined;
    },
    // Non-leaf PTE: V with R = W = X = 0; D, A and U are reserved and must be clear (§10.4.1).
    tableDescriptor: () => PTE_V,
    leafDescriptor(_level, _size, a: Required<MappingAttributes>) {
      // A set (and D on writable pages) so that no Svade page fault or hardware A/D update happens on first use.
      let bits = PTE_V | PTE_R | PTE_A;
      if (a.writable) bits |= PTE_W | PTE_D;
      if (a.executable) bits |= PTE_X;
      if (a.user) bits |= PTE_U;
      if (a.memoryType === "device") bits |= PBMT_IO << PTE_PBMT_SHIFT;
      return bits;
    },
    registers(root) {
      const satp = (mode << SATP_MODE_SHIFT) | (root >> BigInt(PAGE_SHIFT)); // ASID 0
      return {
        registers: { satp },
        notes: [
          `satp.MODE = ${mode} (${levels === 3 ? "Sv39" : "Sv48"}), ASID 0; run SFENCE.VMA after writing satp`,
          "supervisor code cannot touch U pages unless sstatus.SUM = 1 and never executes them",
          "device mappings use Svpbmt PBMT = IO (PTE bits 62:61); on a hart without Svpbmt (or with menvcfg.PBMTE = 0) those bits are reserved and fault, and PMAs alone decide the memory type",
        ],
      };
    },
  };
}

/** Sv39 or Sv48 as a core radix format with the manual's walker. */
function sv(levels: 3 | 4): PageTableFormat {
  const s = spec(levels);
  const sizes = levels === 3 ? "4 KiB / 2 MiB / 1 GiB" : "4 KiB / 2 MiB / 1 GiB / 512 GiB";
  return radixPageTableFormat(s, `RISC-V ${levels === 3 ? "Sv39" : "Sv48"} (satp.MODE ${levels === 3 ? 8 : 9}), ${s.geometry.vaBits}-bit VA, ${levels} levels, ${sizes} pages`, walkSv);
}

/** Sv39: three levels, 39-bit VA, 4 KiB pages, 2 MiB megapages and 1 GiB gigapages. */
export const RISCV64_SV39: PageTableFormat = sv(3);
/** Sv48: four levels, 48-bit VA, adds 512 GiB terapages. */
export const RISCV64_SV48: PageTableFormat = sv(4);
