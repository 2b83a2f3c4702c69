import { radixPageTableFormat, type MappingAttributes, type RadixFormatSpec } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { walkArmV7 } from "./paging-walker.js";

const KIB4 = 0x1000n;
const MIB1 = 0x10_0000n;
const MIB2 = 0x20_0000n;
const MIB16 = 0x100_0000n;
const GIB1 = 0x4000_0000n;
const GIB4 = 1n << 32n;

/*
 * Short-descriptor format, ARMv7 ARM DDI 0406C B3.5: a 16 KiB first-level table
 * (4096 x 4-byte entries, VA[31:20]) of 1 MiB sections, 16 MiB supersections or
 * pointers to 1 KiB second-level tables (256 entries, VA[19:12]) of 4 KiB pages.
 * Memory types come straight from TEX/C/B (SCTLR.TRE = 0, B3.8.2) and AP[2:0]
 * is the full permission model (SCTLR.AFE = 0, B3.7.1); everything is in domain 0.
 */
// First-level descriptor bits (B3.5.1, figure B3-4).
const L1_PAGE_TABLE = 0b01n;
const L1_SECTION = 0b10n;
const SEC_B = 1n << 2n;
const SEC_C = 1n << 3n;
const SEC_XN = 1n << 4n;
const SEC_AP0 = 1n << 10n;
const SEC_AP1 = 1n << 11n;
const SEC_TEX0 = 1n << 12n;
const SEC_AP2 = 1n << 15n;
const SEC_S = 1n << 16n;
const SEC_SUPER = 1n << 18n;
// Second-level small page bits (B3.5.1, figure B3-5).
const SP_XN = 1n << 0n;
const SP_PAGE = 1n << 1n;
const SP_B = 1n << 2n;
const SP_C = 1n << 3n;
const SP_AP0 = 1n << 4n;
const SP_AP1 = 1n << 5n;
const SP_TEX0 = 1n << 6n;
const SP_AP2 = 1n << 9n;
const SP_S = 1n << 10n;

/**
 * AP[2:0] with SCTLR.AFE = 0 (B3.7.1 table B3-8): 001 PL1 RW, 011 RW at all
 * levels, 101 PL1 read-only, 111 read-only at all levels.
 */
function apBits(a: Required<MappingAttributes>): { ap0: boolean; ap1: boolean; ap2: boolean } {
  return { ap0: true, ap1: a.user, ap2: !a.writable };
}

const SHORT: RadixFormatSpec = {
  id: "arm32-short",
  geometry: {
    vaBits: 32,
    entryBytes: 4,
    levels: [
      { shift: 20, entries: 4096, leafSizes: [MIB1, MIB16], tableAlign: 16n * 1024n },
      { shift: 12, entries: 256, leafSizes: [KIB4], tableAlign: 1024n },
    ],
  },
  // Supersections could reach 40 bits; kept to 32 so sections and pages alike can map every address.
  physicalAddressBits: 32,
  tableLimit: GIB4,
  noExecute: true,
  normaliseVa: (va) => (va >= 0n && va < GIB4 ? va : undefined),
  // Domain 0, PXN clear, NS clear.
  tableDescriptor: () => L1_PAGE_TABLE,
  leafDescriptor(level, size, a) {
    const ap = apBits(a);
    const normal = a.memoryType === "normal";
    const xn = !a.executable;
    if (level === 0) {
      let d = L1_SECTION | (size === MIB16 ? SEC_SUPER : 0n);
      // Normal: TEX 001 C 1 B 1 = outer and inner write-back write-allocate, shareable. Device: TEX 000 C 0 B 0 = Strongly-ordered.
      if (normal) d |= SEC_TEX0 | SEC_C | SEC_B | SEC_S;
      if (xn) d |= SEC_XN;
      if (ap.ap0) d |= SEC_AP0;
      if (ap.ap1) d |= SEC_AP1;
      if (ap.ap2) d |= SEC_AP2;
      return d;
    }
    let d = SP_PAGE;
    if (normal) d |= SP_TEX0 | SP_C | SP_B | SP_S;
    if (xn) d |= SP_XN;
    if (ap.ap0) d |= SP_AP0;
    if (ap.ap1) d |= SP_AP1;
    if (ap.ap2) d |= SP_AP2;
    return d;
  },
  registers: (root) => ({
    // TTBR0 walk attributes (B4.1.154, Multiprocessing Extensions): IRGN = RGN = write-back write-allocate, S, NOS (inner shareable).
    registers: { ttbcr: 0n, ttbr0: root | 0x6an, dacr: 0x1n },
    notes: [
      "TTBCR.N = 0: TTBR0 translates the whole 4 GiB; DACR domain 0 = Client (permissions checked), others No access",
      "SCTLR.TRE = 0 (TEX/C/B give the memory type; PRRR/NMRR unused) and SCTLR.AFE = 0 (AP[0] is a permission bit), SCTLR.EE = 0",
      "TTBR0 walk attributes assume the Multiprocessing Extensions (Cortex-A7/A9/A15); invalidate the TLB before setting SCTLR.M",
    ],
  }),
};

/*
 * Long-descriptor (LPAE) format, DDI 0406C B3.6: TTBCR.EAE = 1, T0SZ = 0, so the
 * walk starts at a 4-entry first-level table (VA[31:30], 32-byte aligned), then
 * 512-entry second and third levels; 1 GiB and 2 MiB blocks and 4 KiB pages;
 * AttrIndx into MAIR0 (Attr0 = 0xff Normal write-back, Attr1 = 0x00 Strongly-ordered).
 */
const LPAE_VALID = 1n;
const LPAE_TABLE_OR_PAGE = 2n;
const LPAE_ATTR_DEVICE = 1n << 2n; // AttrIndx = 1
const LPAE_AP_PL0 = 1n << 6n; // AP[1]
const LPAE_AP_RO = 1n << 7n; // AP[2]
const LPAE_SH_INNER = 3n << 8n;
const LPAE_AF = 1n << 10n;
const LPAE_PXN = 1n << 53n;
const LPAE_XN = 1n << 54n;

const LPAE: RadixFormatSpec = {
  id: "arm32-lpae",
  geometry: {
    vaBits: 32,
    entryBytes: 8,
    levels: [
      { shift: 30, entries: 4, leafSizes: [GIB1], tableAlign: 32n },
      { shift: 21, entries: 512, leafSizes: [MIB2], tableAlign: KIB4 },
      { shift: 12, entries: 512, leafSizes: [KIB4], tableAlign: KIB4 },
    ],
  },
  physicalAddressBits: 40,
  tableLimit: 1n << 40n,
  noExecute: true,
  normaliseVa: (va) => (va >= 0n && va < GIB4 ? va : undefined),
  tableDescriptor: () => LPAE_VALID | LPAE_TABLE_OR_PAGE,
  leafDescriptor(level, _size, a) {
    let d = LPAE_VALID | LPAE_AF | (level === 2 ? LPAE_TABLE_OR_PAGE : 0n);
    d |= a.memoryType === "device" ? LPAE_ATTR_DEVICE : LPAE_SH_INNER;
    if (!a.writable) d |= LPAE_AP_RO;
    if (a.user) d |= LPAE_AP_PL0;
    if (!a.executable) d |= LPAE_XN | LPAE_PXN;
    return d;
  },
  registers: (root) => ({
    registers: {
      // TTBCR (B4.1.153, EAE = 1): T0SZ 0, IRGN0/ORGN0 = 01 write-back write-allocate walks, SH0 = 11 inner shareable, EPD1.
      ttbcr: (1n << 31n) | (1n << 23n) | (3n << 12n) | (1n << 10n) | (1n << 8n),
      ttbr0: root,
      mair0: 0xffn,
      mair1: 0n,
    },
    notes: [
      "TTBCR.EAE = 1 selects the long-descriptor format; DACR is not used; TTBR1 walks disabled (EPD1)",
      "SCTLR.EE = 0 (tables are little-endian); invalidate the TLB before setting SCTLR.M",
    ],
  }),
};

/** ARMv7 short-descriptor translation tables (1 MiB sections, 4 KiB pages). */
export const ARM32_SHORT: PageTableFormat = radixPageTableFormat(SHORT, "ARMv7 short-descriptor: 16 KiB L1 of 1 MiB sections / 16 MiB supersections, 1 KiB L2 of 4 KiB pages", walkArmV7);
/** ARMv7 LPAE long-descriptor translation tables (3 levels, 40-bit physical addresses). */
export const ARM32_LPAE: PageTableFormat = radixPageTableFormat(LPAE, "ARMv7 LPAE long-descriptor: 3 levels, 1 GiB / 2 MiB blocks and 4 KiB pages, 40-bit PA", walkArmV7);
