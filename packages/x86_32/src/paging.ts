import { radixPageTableFormat, type MappingAttributes, type RadixFormatSpec } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { walkX86_32 } from "./paging-walker.js";

// Entry bits shared by 32-bit and PAE paging, Intel SDM Vol. 3A §4.3 (tables 4-4..4-6) and §4.4 (tables 4-8..4-11).
const P = 1n << 0n;
const RW = 1n << 1n;
const US = 1n << 2n;
const PWT = 1n << 3n;
const PCD = 1n << 4n;
const A = 1n << 5n;
const D = 1n << 6n;
const PS = 1n << 7n;
const NX = 1n << 63n; // PAE only, with EFER.NXE

const CR0_PE = 1n << 0n;
const CR0_WP = 1n << 16n;
const CR0_PG = 1n << 31n;
const CR4_PSE = 1n << 4n;
const CR4_PAE = 1n << 5n;
const EFER_NXE = 1n << 11n;

const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const MIB4 = 0x40_0000n;
const GIB4 = 1n << 32n;

function leafBits(a: Required<MappingAttributes>, large: boolean): bigint {
  let bits = P | A | D;
  if (a.writable) bits |= RW;
  if (a.user) bits |= US;
  if (a.memoryType === "device") bits |= PCD | PWT; // PAT entry 3 = UC at power-on
  if (large) bits |= PS;
  return bits;
}

const COMMON_NOTES = [
  "CR0.WP set so read-only pages are read-only for the kernel too",
  "IA32_PAT must hold its power-on value 0x0007040600070406 (PCD|PWT = UC for device memory)",
];

/** 32-bit paging, SDM §4.3: page directory -> page table, 4 KiB pages and 4 MiB pages with CR4.PSE. */
const TWO_LEVEL: RadixFormatSpec = {
  id: "x86_32-2level",
  geometry: {
    vaBits: 32,
    entryBytes: 4,
    levels: [
      { shift: 22, entries: 1024, leafSizes: [MIB4], tableAlign: KIB4 },
      { shift: 12, entries: 1024, leafSizes: [KIB4], tableAlign: KIB4 },
    ],
  },
  // 4 MiB pages could reach 40 bits with PSE-36; kept to 32 so 4 KiB and 4 MiB pages alike can map everything.
  physicalAddressBits: 32,
  tableLimit: GIB4,
  noExecute: false,
  normaliseVa: (va) => (va >= 0n && va < GIB4 ? va : undefined),
  tableDescriptor: () => P | RW | US | A,
  leafDescriptor: (_level, size, a) => leafBits(a, size === MIB4),
  registers: (root) => ({
    registers: { cr3: root, cr4: CR4_PSE, cr0: CR0_PE | CR0_WP | CR0_PG, efer: 0n },
    notes: [...COMMON_NOTES, "32-bit paging has no execute-disable bit: every mapped page is executable", "CR4.PSE enables the 4 MiB pages"],
  }),
};

/** PAE paging, SDM §4.4: 4-entry PDPT (32-byte aligned, loaded with CR3) -> page directory -> page table. */
const PAE: RadixFormatSpec = {
  id: "x86_32-pae",
  geometry: {
    vaBits: 32,
    entryBytes: 8,
    levels: [
      { shift: 30, entries: 4, leafSizes: [], tableAlign: 32n },
      { shift: 21, entries: 512, leafSizes: [MIB2], tableAlign: KIB4 },
      { shift: 12, entries: 512, leafSizes: [KIB4], tableAlign: KIB4 },
    ],
  },
  physicalAddressBits: 52,
  // CR3 holds the PDPT address in 32 bits; the other tables are kept below 4 GiB with it.
  tableLimit: GIB4,
  noExecute: true,
  normaliseVa: (va) => (va >= 0n && va < GIB4 ? va : undefined),
  // PDPTEs have no R/W, U/S, A or NX: those bits are reserved (SDM table 4-8).
  tableDescriptor: (level) => (level === 0 ? P : P | RW | US | A),
  leafDescriptor: (_level, size, a) => leafBits(a, size === MIB2) | (a.executable ? 0n : NX),
  registers: (root, maxEnd) => ({
    registers: { cr3: root, cr4: CR4_PAE, cr0: CR0_PE | CR0_WP | CR0_PG, efer: EFER_NXE },
    notes: [
      ...COMMON_NOTES,
      "EFER.NXE set for the NX bit (needs CPUID.80000001H:EDX.NX)",
      "the four PDPTEs are loaded when CR3 is written: write CR3 after the tables are in place",
      ...(maxEnd > 1n << 36n ? [`physical addresses up to 0x${(maxEnd - 1n).toString(16)} need MAXPHYADDR > 36`] : []),
    ],
  }),
};

/** x86 32-bit (non-PAE) paging: 2 levels, 4 KiB and 4 MiB pages, no NX. */
export const X86_32_2LEVEL: PageTableFormat = radixPageTableFormat(TWO_LEVEL, "x86 32-bit paging: 2 levels, 4 KiB and 4 MiB (CR4.PSE) pages, no NX", walkX86_32);
/** x86 PAE paging: 3 levels, 4 KiB and 2 MiB pages, NX with EFER.NXE. */
export const X86_32_PAE: PageTableFormat = radixPageTableFormat(PAE, "x86 PAE paging: 3 levels (32-byte PDPT), 4 KiB and 2 MiB pages, NX with EFER.NXE", walkX86_32);
