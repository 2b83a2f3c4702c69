import { radixPageTableFormat, type RadixFormatSpec } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { X86_PAGING_NOTES, X86_PTE, X86_TABLE_ENTRY, x86LeafEntry, x86PagingRegisters } from "@handoff/x86";
import { walkX86_32 } from "./paging-walker.js";

const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const MIB4 = 0x40_0000n;
const GIB4 = 1n << 32n;

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
  tableDescriptor: () => X86_TABLE_ENTRY,
  leafDescriptor: (_level, size, a) => x86LeafEntry(a, size === MIB4, false),
  registers: (root) => ({
    registers: x86PagingRegisters(root, { pse: true }),
    notes: [...X86_PAGING_NOTES, "32-bit paging has no execute-disable bit: every mapped page is executable", "CR4.PSE enables the 4 MiB pages"],
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
  tableDescriptor: (level) => (level === 0 ? X86_PTE.P : X86_TABLE_ENTRY),
  leafDescriptor: (_level, size, a) => x86LeafEntry(a, size === MIB2, true),
  registers: (root, maxEnd) => ({
    registers: x86PagingRegisters(root, { pae: true, nxe: true }),
    notes: [
      ...X86_PAGING_NOTES,
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
