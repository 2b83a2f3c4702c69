import { describe, expect, it } from "vitest";
import { ValidationError } from "@handoff/core";
import { type Mapping } from "@handoff/core/paging";
import { ARM64_16K_48, ARM64_4K_39, ARM64_4K_48, ARM64_64K_48, walkVmsaV8_64 } from "@handoff/arm64";
import { checkFormatProperties } from "@handoff/test-support/page-table-properties";
import { HandTables, expectTranslation } from "@handoff/test-support/hand-tables";

const KIB = 1024n;
const MIB = 1024n * KIB;
const GIB = 1024n * MIB;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;

// Descriptor pieces as DDI 0487 D8.3 lays them out.
const TABLE = 0b11n;
const BLOCK = 0b01n;
const PAGE = 0b11n;
const AF = 1n << 10n;
const SH_IS = 3n << 8n;
const AP_RO = 1n << 7n;
const AP_EL0 = 1n << 6n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;
const ATTR = (i: bigint) => i << 2n;
// MAIR: Attr0 = 0xff (Normal WB), Attr1 = 0x00 (Device-nGnRnE), Attr2 = 0x44 (Normal NC).
const MAIR = 0x44_00_ffn;
// TCR_EL1: T0SZ | TG0 << 14 | IPS(48 bits = 0b101) << 32.
const tcr = (t0sz: bigint, tg0: bigint) => t0sz | (tg0 << 14n) | (5n << 32n);

describe("VMSAv8-64 walker against hand-built tables (DDI 0487 D8)", () => {
  // 4 KiB granule, 48-bit VA: lookup starts at level 0 (4 levels of 9 bits).
  // L0 @0x8000_0000 [0] -> L1 @0x8000_1000; L1[1]: 1 GiB block @0x4000_0000; L1[0] -> L2 @0x8000_2000;
  // L2[8]: 2 MiB device block @0x0900_0000 (VA 0x0100_0000); L2[0] -> L3 @0x8000_3000.
  const L0 = 0x8000_0000n, L1 = 0x8000_1000n, L2 = 0x8000_2000n, L3 = 0x8000_3000n;
  const mem = new HandTables(8, 0x1000n)
    .set(L0, 0, L1 | TABLE)
    .set(L1, 1, 0x4000_0000n | BLOCK | AF | SH_IS | ATTR(0n) | UXN)
    .set(L1, 0, L2 | TABLE)
    .set(L2, 8, 0x0900_0000n | BLOCK | AF | ATTR(1n) | PXN | UXN)
    .set(L2, 0, L3 | TABLE)
    .set(L3, 1, 0x7_0000n | PAGE | AF | SH_IS | AP_RO | PXN | UXN) // read-only data page
    .set(L3, 2, 0x7_1000n | PAGE | SH_IS) // AF clear
    .set(L3, 3, 0x7_2000n | BLOCK | AF) // a block descriptor at level 3 is reserved
    .set(L3, 4, 0x7_3000n | PAGE | AF | AP_EL0 | PXN | ATTR(2n)) // EL0 page, executable at EL0, Normal-NC
    .set(L3, 5, (1n << 45n) | PAGE | AF); // output address beyond a 40-bit IPS
  const regs = { ttbr0_el1: L0, tcr_el1: tcr(16n, 0n), mair_el1: MAIR };

  it("1 GiB level-1 block: VA[38:30] = 1 selects it, VA[29:0] is the offset", () => {
    expectTranslation(walkVmsaV8_64(mem, regs, 0x4abc_def0n), { pa: 0x4abc_def0n, pageSize: GIB, level: 1 }, { writable: true, executable: true, user: false, memoryType: "normal" });
  });

  it("2 MiB level-2 block with AttrIndx 1 = Device-nGnRnE, PXN", () => {
    expectTranslation(walkVmsaV8_64(mem, regs, 0x011f_fff0n), { pa: 0x091f_fff0n, pageSize: 2n * MIB, level: 2 }, { writable: true, executable: false, user: false, memoryType: "device" });
  });

  it("4 KiB level-3 pages: AP[2] read-only; AP[1] EL0 page executable at EL0 with Normal-NC", () => {
    expectTranslation(walkVmsaV8_64(mem, regs, 0x1008n), { pa: 0x7_0008n, pageSize: 4n * KIB, level: 3 }, { writable: false, executable: false, user: false, memoryType: "normal" });
    const el0 = walkVmsaV8_64(mem, regs, 0x4000n);
    expect(el0.kind === "translation" && el0.attributes).toEqual({ writable: true, executable: true, user: true, memoryType: "arm:Normal-0x44" });
  });

  it("faults: invalid, AF clear, level-3 block, address size, beyond T0SZ, EPD0", () => {
    expect(walkVmsaV8_64(mem, regs, 0x0n)).toMatchObject({ kind: "fault", fault: "translation", level: 3 });
    expect(walkVmsaV8_64(mem, regs, 0x2000n)).toMatchObject({ kind: "fault", fault: "access-flag", level: 3 });
    // With TCR_EL1.HA the hardware sets AF itself: no fault.
    expect(walkVmsaV8_64(mem, { ...regs, tcr_el1: regs.tcr_el1 | (1n << 39n) }, 0x2000n)).toMatchObject({ kind: "translation", pa: 0x7_1000n });
    expect(walkVmsaV8_64(mem, regs, 0x3000n)).toMatchObject({ kind: "fault", fault: "translation", level: 3 });
    expect(walkVmsaV8_64(mem, { ...regs, tcr_el1: 16n | (2n << 32n) }, 0x5000n)).toMatchObject({ kind: "fault", fault: "address-size" });
    expect(walkVmsaV8_64(mem, regs, 1n << 48n)).toMatchObject({ kind: "fault", fault: "translation", level: 0 });
    expect(walkVmsaV8_64(mem, { ...regs, tcr_el1: regs.tcr_el1 | (1n << 7n) }, 0x1000n)).toMatchObject({ kind: "fault", fault: "translation" });
    expect(walkVmsaV8_64(mem, regs, 0x8000_0000n)).toMatchObject({ kind: "fault", fault: "translation", level: 1 });
  });

  it("APTable[1] and PXNTable in a table descriptor restrict everything below", () => {
    const m = new HandTables(8, 0x1000n).set(L0, 0, L1 | TABLE | (1n << 62n) | (1n << 59n)).set(L1, 1, 0x4000_0000n | BLOCK | AF | UXN);
    const r = walkVmsaV8_64(m, regs, 0x4000_0000n);
    expect(r.kind === "translation" && r.attributes).toEqual({ writable: false, executable: false, user: false, memoryType: "normal" });
  });

  it("4 KiB granule, 39-bit VA (T0SZ 25): the walk starts at level 1", () => {
    const m = new HandTables(8, 0x1000n).set(L1, 2, 0x8000_0000n | BLOCK | AF);
    const r39 = { ...regs, ttbr0_el1: L1, tcr_el1: tcr(25n, 0n) };
    expect(walkVmsaV8_64(m, r39, 0x8000_0010n)).toMatchObject({ kind: "translation", pa: 0x8000_0010n, level: 1 });
    expect(walkVmsaV8_64(m, r39, 1n << 39n)).toMatchObject({ kind: "fault", fault: "translation" });
  });

  it("64 KiB granule, 48-bit VA: level 1 has 64 entries (VA[47:42]); level-2 blocks are 512 MiB", () => {
    const m = new HandTables(8, 0x10000n).set(0x10_0000n, 1, 0x20_0000n | TABLE).set(0x20_0000n, 3, 0x6000_0000n | BLOCK | AF);
    const r = walkVmsaV8_64(m, { ...regs, ttbr0_el1: 0x10_0000n, tcr_el1: tcr(16n, 1n) }, (1n << 42n) + 3n * 512n * MIB + 0x1234n);
    expect(r).toMatchObject({ kind: "translation", pa: 0x6000_1234n, pageSize: 512n * MIB, level: 2 });
    // A level-1 block with a 64 KiB granule needs FEAT_LPA: translation fault here.
    const b = new HandTables(8, 0x10000n).set(0x10_0000n, 0, BLOCK | AF);
    expect(walkVmsaV8_64(b, { ...regs, ttbr0_el1: 0x10_0000n, tcr_el1: tcr(16n, 1n) }, 0x1000n)).toMatchObject({ kind: "fault", level: 1 });
  });

  it("16 KiB granule, 48-bit VA: level 0 has 2 entries (VA bit 47), 16 KiB pages at level 3", () => {
    const m = new HandTables(8, 0x4000n)
      .set(0x10_0000n, 1, 0x10_4000n | TABLE)
      .set(0x10_4000n, 0, 0x10_8000n | TABLE)
      .set(0x10_8000n, 0, 0x10_c000n | TABLE)
      .set(0x10_c000n, 1, 0x50_0000n | PAGE | AF);
    const r = walkVmsaV8_64(m, { ...regs, ttbr0_el1: 0x10_0000n, tcr_el1: tcr(16n, 2n) }, (1n << 47n) + 0x4000n + 0x3ffcn);
    expect(r).toMatchObject({ kind: "translation", pa: 0x50_3ffcn, pageSize: 16n * KIB, level: 3 });
  });
});

describe("arm64 builder: exact table counts from first principles", () => {
  const base = 0x4000_0000n;
  it("4K/48: 512 GiB of 1 GiB blocks = one L0 entry -> L0 + L1 = 2 tables", () => {
    const b = ARM64_4K_48.build([{ va: 512n * GIB, pa: 512n * GIB, size: 512n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 0n, 0n]);
    expect(b.tablePages).toBe(2n);
    expect(b.leaves).toEqual([{ pageSize: GIB, count: 512n }]);
  });

  it("4K/48: 4 GiB from 4 KiB (page 0 left out): L0 + L1 + 1 L2 + 1 L3", () => {
    const b = ARM64_4K_48.build([{ va: 4n * KIB, pa: 4n * KIB, size: 4n * GIB - 4n * KIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 1n, 1n]);
    expect(b.leaves).toEqual([{ pageSize: GIB, count: 3n }, { pageSize: 2n * MIB, count: 511n }, { pageSize: 4n * KIB, count: 511n }]);
  });

  it("4K/39: 4 GiB of 1 GiB blocks is a single level-1 table", () => {
    const b = ARM64_4K_39.build([{ va: 4n * GIB, pa: 4n * GIB, size: 4n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tables).toBe(1n);
    expect(b.registers.tcr_el1! & 0x3fn).toBe(25n);
  });

  it("64K/48: 4 GiB of 512 MiB blocks = L1 + L2; 64 KiB off -> 8 L3 tables (one per 512 MiB)", () => {
    const aligned = ARM64_64K_48.build([{ va: 4n * GIB, pa: 4n * GIB, size: 4n * GIB, attributes: RWX }], { tableBase: base });
    expect(aligned.tablesPerLevel).toEqual([1n, 1n, 0n]);
    const off = ARM64_64K_48.build([{ va: 4n * GIB, pa: 4n * GIB + 64n * KIB, size: 4n * GIB, attributes: RWX }], { tableBase: base });
    expect(off.tablesPerLevel).toEqual([1n, 1n, 8n]);
    // 512-byte L1 then 64 KiB-aligned tables: 1 + 1 + 8 granules.
    expect(off.tablePages).toBe(10n);
  });

  it("16K/48: 4 GiB of 32 MiB blocks = L0 (2 entries) + L1 + L2", () => {
    const b = ARM64_16K_48.build([{ va: 4n * GIB, pa: 4n * GIB, size: 4n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 1n, 0n]);
    expect(b.leaves).toEqual([{ pageSize: 32n * MIB, count: 128n }]);
  });

  it("register values: TTBR0 = root, MAIR Attr0 0xff / Attr1 0x00, TCR T0SZ 16, TG0 4K, IPS from the highest address", () => {
    const b = ARM64_4K_48.build([{ va: 0x4000_0000n, pa: 0x4000_0000n, size: 2n * MIB, attributes: RWX }], { tableBase: base });
    expect(b.registers.ttbr0_el1).toBe(base);
    expect(b.registers.mair_el1).toBe(0xffn);
    const t = b.registers.tcr_el1!;
    expect(t & 0x3fn).toBe(16n);
    expect((t >> 14n) & 3n).toBe(0n);
    expect((t >> 12n) & 3n).toBe(3n);
    expect((t >> 32n) & 7n).toBe(0n); // everything below 4 GiB: IPS 32 bits
  });

  it("leaf descriptors: normal memory inner shareable, AF set, AttrIndx 0; device AttrIndx 1, XN", () => {
    const b = ARM64_4K_48.build(
      [
        { va: 0x4000_0000n, pa: 0x4000_0000n, size: 2n * MIB, attributes: RWX },
        { va: 0x0900_0000n, pa: 0x0900_0000n, size: 4n * KIB, attributes: { writable: true, executable: false, memoryType: "device" } },
      ],
      { tableBase: base },
    );
    const view = new DataView(b.segment.bytes.buffer);
    const descriptors = [...Array(b.segment.bytes.length / 8).keys()].map((i) => view.getBigUint64(i * 8, true)).filter((d) => (d & 3n) === 1n);
    const block = descriptors.find((d) => (d & 3n) === 1n)!;
    expect((block >> 8n) & 3n).toBe(3n);
    expect((block >> 10n) & 1n).toBe(1n);
    expect((block >> 2n) & 7n).toBe(0n);
    const dev = ARM64_4K_48.walk(b.memory(), b.registers, 0x0900_0000n);
    expect(dev).toMatchObject({ kind: "translation", attributes: { memoryType: "device", executable: false } });
  });

  it("refuses addresses TTBR0 does not translate and PAs beyond 48 bits", () => {
    expect(() => ARM64_4K_39.build([{ va: 1n << 39n, pa: 0x1000n, size: 4n * KIB, attributes: RWX }], { tableBase: base })).toThrow(ValidationError);
    expect(() => ARM64_4K_48.build([{ va: 0x1000n, pa: 1n << 48n, size: 4n * KIB, attributes: RWX }], { tableBase: base })).toThrow(ValidationError);
    expect(() => ARM64_64K_48.build([{ va: 0x1000n, pa: 0x1000n, size: 4n * KIB, attributes: RWX }], { tableBase: base })).toThrow(ValidationError);
  });
});

describe("arm64 property: random mapping sets translate exactly and use the fewest tables", () => {
  const base = { tableBase: 0x8000_0000n };
  it("4K granule, 48-bit", () => checkFormatProperties(ARM64_4K_48, base));
  it("4K granule, 39-bit", () => checkFormatProperties(ARM64_4K_39, { ...base, numRuns: 80 }));
  it("16K granule, 48-bit", () => checkFormatProperties(ARM64_16K_48, { ...base, numRuns: 60 }));
  it("64K granule, 48-bit", () => checkFormatProperties(ARM64_64K_48, { ...base, numRuns: 40 }));
});

export type { Mapping };

describe("registered page-table formats", () => {
  it("are in the architecture, and their register values fit its register file", async () => {
    const { plugin } = await import("@handoff/arm64");
    const { checkRegisteredFormats } = await import("@handoff/test-support/registered-formats");
    checkRegisteredFormats(plugin, ['arm64-4k-48', 'arm64-4k-39', 'arm64-16k-48', 'arm64-64k-48']);
  });
});
