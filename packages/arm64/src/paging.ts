import { radixPageTableFormat, describeSizes, type LevelGeometry, type MappingAttributes, type PageTableGeometry, type PhysicalMemory, type RadixFormatSpec, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";
import { walkVmsaV8_64 } from "./paging-walker.js";

/*
 * VMSAv8-64 stage 1 translation tables for EL1&0 (TTBR0_EL1), Arm ARM DDI 0487
 * chapter D8 ("The AArch64 Virtual Memory System Architecture"): descriptor
 * formats D8.3, memory attributes D8.6, TCR_EL1/MAIR_EL1 in D19 (system registers).
 */

// Descriptor bits, DDI 0487 D8.3 (stage 1 VMSAv8-64 block/page/table descriptors).
const VALID = 1n << 0n;
/** bit 1: table (levels 0-2) or page (level 3); clear with bit 0 set = block. */
const TABLE_OR_PAGE = 1n << 1n;
const ATTR_INDX_SHIFT = 2n; // AttrIndx[2:0], bits 4:2
const AP_EL0 = 1n << 6n; // AP[1]: EL0 access
const AP_RO = 1n << 7n; // AP[2]: read-only
const SH_INNER = 3n << 8n; // SH[1:0] = 0b11 inner shareable
const AF = 1n << 10n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;

/** MAIR_EL1 attribute indices used by the leaves. */
const ATTR_NORMAL = 0n; // 0xff: Normal, inner/outer write-back non-transient, read/write-allocate
const ATTR_DEVICE = 1n; // 0x00: Device-nGnRnE
/** MAIR_EL1 = Attr0 0xff | Attr1 0x00 << 8 (DDI 0487 D19, MAIR_EL1). */
export const ARM64_MAIR = 0xffn;

type Granule = 4 | 16 | 64;

function geometryFor(granule: Granule, vaBits: number): PageTableGeometry {
  const g = granule === 4 ? 12 : granule === 16 ? 14 : 16;
  const stride = g - 3;
  const page = 1n << BigInt(g);
  const levels: LevelGeometry[] = [];
  // Walk from level 3 up until the VA is covered; the top table gets the leftover bits.
  for (let level = 3, low = g; low < vaBits; level--, low += stride) {
    const bits = Math.min(stride, vaBits - low);
    const entries = 1 << bits;
    const size = 1n << BigInt(low);
    // Blocks: 4K granule at levels 1-2, 16K and 64K at level 2 only (level-1 blocks need FEAT_LPA/LPA2).
    const leafSizes = level === 3 ? [page] : level === 2 || (level === 1 && granule === 4) ? [size] : [];
    const tableBytes = BigInt(entries * 8);
    levels.unshift({ shift: low, entries, leafSizes, tableAlign: tableBytes < 64n ? 64n : tableBytes });
  }
  return { vaBits, entryBytes: 8, levels };
}

const IPS_BITS = [32, 36, 40, 42, 44, 48]; // TCR_EL1.IPS encodings 0b000..0b101

function spec(granule: Granule, vaBits: number): RadixFormatSpec {
  const geometry = geometryFor(granule, vaBits);
  const leafLevel = geometry.levels.length - 1;
  const limit = 1n << BigInt(vaBits);
  return {
    id: `arm64-${granule}k-${vaBits}`,
    geometry,
    physicalAddressBits: 48,
    tableLimit: 1n << 48n,
    noExecute: true,
    // TTBR0 translates [0, 2^(64-T0SZ)); higher addresses belong to TTBR1, which these tables do not serve.
    normaliseVa: (va) => (va >= 0n && va < limit ? va : undefined),
    tableDescriptor: () => VALID | TABLE_OR_PAGE,
    leafDescriptor(level, _size, a: Required<MappingAttributes>) {
      let bits = VALID | AF | (level === leafLevel ? TABLE_OR_PAGE : 0n);
      if (a.memoryType === "device") bits |= (ATTR_DEVICE << ATTR_INDX_SHIFT) | PXN | UXN;
      else bits |= (ATTR_NORMAL << ATTR_INDX_SHIFT) | SH_INNER;
      if (!a.writable) bits |= AP_RO;
      if (a.user) bits |= AP_EL0;
      // Privileged pages never run at EL0; user pages never run at EL1 (and EL0-writable implies PXN anyway).
      if (a.memoryType === "normal") bits |= a.user ? PXN | (a.executable ? 0n : UXN) : UXN | (a.executable ? 0n : PXN);
      return bits;
    },
    registers(root, maxEnd) {
      const ipsIndex = IPS_BITS.findIndex((b) => maxEnd <= 1n << BigInt(b));
      const ips = BigInt(ipsIndex < 0 ? IPS_BITS.length - 1 : ipsIndex);
      const t0sz = BigInt(64 - vaBits);
      const tg0 = granule === 4 ? 0n : granule === 64 ? 1n : 2n; // TCR_EL1.TG0: 00 4K, 01 64K, 10 16K
      const tg1 = granule === 4 ? 2n : granule === 64 ? 3n : 1n; // TCR_EL1.TG1: 10 4K, 11 64K, 01 16K
      const tcr =
        t0sz | // T0SZ [5:0]
        (1n << 8n) | // IRGN0 = 01: inner write-back read/write-allocate walks
        (1n << 10n) | // ORGN0 = 01: outer write-back read/write-allocate walks
        (3n << 12n) | // SH0 = 11: inner shareable walks
        (tg0 << 14n) |
        (t0sz << 16n) | // T1SZ, unused (EPD1)
        (1n << 23n) | // EPD1: no TTBR1 walks; upper-half addresses fault
        (tg1 << 30n) |
        (ips << 32n); // IPS [34:32]
      return {
        registers: { ttbr0_el1: root, tcr_el1: tcr, mair_el1: ARM64_MAIR },
        notes: [
          "SCTLR_EL1.M=1 with SCTLR_EL1.WXN=0 (kernel pages are writable and executable) and SCTLR_EL1.EE=0 (tables are little-endian)",
          `TCR_EL1.IPS = ${IPS_BITS[Number(ips)]} bits must not exceed ID_AA64MMFR0_EL1.PARange`,
          "TTBR1_EL1 walks disabled (TCR_EL1.EPD1); invalidate the TLB (TLBI VMALLE1) before setting SCTLR_EL1.M",
          "values are for the EL1&0 regime; at EL2 (non-VHE) TCR_EL2 has PS at bits 18:16 instead of IPS, and TTBR0_EL2/MAIR_EL2 take the same values",
        ],
      };
    },
  };
}

/**
 * The same tables for the EL2 translation regime with HCR_EL2.E2H = 0 (one VA
 * range, TTBR0_EL2): DDI 0487 D8.4 gives that regime one privilege level, so
 * AP[1] is RES1 (set on every leaf, as Linux's nVHE hyp tables do), bit 54 is
 * XN and bit 53 is RES0; TCR_EL2 (D19) has PS at bits 18:16 and RES1 bits 23
 * and 31. Device leaves are XN; Normal leaves XN unless executable.
 */
function el2Spec(granule: Granule, vaBits: number): RadixFormatSpec {
  const base = spec(granule, vaBits);
  const leafLevel = base.geometry.levels.length - 1;
  return {
    ...base,
    id: `arm64-el2-${granule}k-${vaBits}`,
    leafDescriptor(level, _size, a: Required<MappingAttributes>) {
      let bits = VALID | AF | AP_EL0 | (level === leafLevel ? TABLE_OR_PAGE : 0n);
      bits |= a.memoryType === "device" ? (ATTR_DEVICE << ATTR_INDX_SHIFT) | UXN : (ATTR_NORMAL << ATTR_INDX_SHIFT) | SH_INNER | (a.executable ? 0n : UXN);
      if (!a.writable) bits |= AP_RO;
      return bits;
    },
    registers(root, maxEnd) {
      const el1 = base.registers(root, maxEnd);
      const tcrEl1 = el1.registers.tcr_el1!;
      // T0SZ, IRGN0, ORGN0, SH0 and TG0 (bits 15:0) are where TCR_EL1 has them; PS takes IPS's value.
      const tcr = (tcrEl1 & 0xffffn) | (((tcrEl1 >> 32n) & 7n) << 16n) | (1n << 23n) | (1n << 31n);
      return {
        registers: { ttbr0_el2: root, tcr_el2: tcr, mair_el2: ARM64_MAIR },
        notes: ["SCTLR_EL2.M=1 with WXN=0 and EE=0; HCR_EL2.E2H=0 (with E2H=1 the EL2&0 regime takes the TTBR0_EL1-format tables)", "TCR_EL2.PS must not exceed ID_AA64MMFR0_EL1.PARange", "invalidate the TLB (TLBI ALLE2) before setting SCTLR_EL2.M"],
      };
    },
  };
}

/**
 * Walk EL2 (E2H = 0) tables with the TTBR0_EL1 walker: the registers renamed,
 * TCR_EL2.PS moved to where TCR_EL1 has IPS and HA (bit 21) to bit 39. With
 * AP[1] RES1 every leaf reads as an EL0 page, whose execute-never bit (54) is
 * the EL2 regime's XN; a leaf with AP[1] clear breaks the RES1 rule.
 */
export function walkVmsaV8_64El2(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult {
  const tcr = registers.tcr_el2 ?? 0n;
  const asEl1 = (tcr & 0xff7fn) | (((tcr >> 16n) & 7n) << 32n) | (((tcr >> 21n) & 1n) << 39n);
  const r = walkVmsaV8_64(memory, { ttbr0_el1: registers.ttbr0_el2 ?? 0n, tcr_el1: asEl1, mair_el1: registers.mair_el2 ?? 0n }, va);
  if (r.kind !== "translation") return r;
  if (!r.attributes.user) return { kind: "fault", va, fault: "reserved-bit", level: r.level, reason: "AP[1] clear: RES1 in the EL2 regime" };
  return { ...r, attributes: { ...r.attributes, user: false } };
}

/** A VMSAv8-64 stage 1 format for TTBR0_EL1 with the given granule and VA size. */
function vmsa(granule: Granule, vaBits: number): PageTableFormat {
  const s = spec(granule, vaBits);
  const sizes = describeSizes(s.geometry.levels.flatMap((l) => l.leafSizes).sort((a, b) => (a < b ? -1 : 1)));
  return radixPageTableFormat(s, `VMSAv8-64 stage 1, ${granule} KiB granule, ${vaBits}-bit VA (TTBR0_EL1), ${s.geometry.levels.length} levels, ${sizes} pages`, walkVmsaV8_64);
}

/**
 * AArch64 VMSAv8-64 tables for EL2 with HCR_EL2.E2H = 0 (TTBR0_EL2), 4 KiB
 * granule, 48-bit VA: what the kexec stub checks the segments over when it
 * runs at EL2. Not one of the architecture's `plan --page-tables` formats.
 */
export const ARM64_EL2_4K_48: PageTableFormat = (() => {
  const s = el2Spec(4, 48);
  return radixPageTableFormat(s, "VMSAv8-64 stage 1 for EL2 (E2H=0, TTBR0_EL2), 4 KiB granule, 48-bit VA, 4 levels, 4 KiB / 2 MiB / 1 GiB pages", walkVmsaV8_64El2);
})();

/** AArch64 VMSAv8-64 tables with a 4 KiB granule and 39-bit virtual addresses (3 levels). */
export const ARM64_4K_39: PageTableFormat = vmsa(4, 39);
/** AArch64 VMSAv8-64 tables with a 4 KiB granule and 48-bit virtual addresses (4 levels). */
export const ARM64_4K_48: PageTableFormat = vmsa(4, 48);
/** AArch64 VMSAv8-64 tables with a 16 KiB granule and 48-bit virtual addresses. */
export const ARM64_16K_48: PageTableFormat = vmsa(16, 48);
/** AArch64 VMSAv8-64 tables with a 64 KiB granule and 48-bit virtual addresses. */
export const ARM64_64K_48: PageTableFormat = vmsa(64, 48);
