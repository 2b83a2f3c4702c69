import { describe, expect, it } from "vitest";
import { ValidationError } from "@handoff/core";
import { ARM32_LPAE, ARM32_SHORT, walkArmV7 } from "@handoff/arm32";
import { checkFormatProperties } from "@handoff/test-support/page-table-properties";
import { HandTables, expectTranslation } from "@handoff/test-support/hand-tables";

const KIB = 1024n;
const MIB = 1024n * KIB;
const GIB = 1024n * MIB;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;

describe("ARMv7 short-descriptor walker (DDI 0406C B3.5, B3.7, B3.8)", () => {
  const L1 = 0x8000_4000n;
  const L2 = 0x8000_8000n;
  // Section bits: 0b10 | B(2) C(3) XN(4) | domain [8:5] | AP[1:0] [11:10] | TEX [14:12] | AP[2] 15 | S 16 | supersection 18.
  const NORMAL_SEC = (1n << 12n) | (1n << 3n) | (1n << 2n) | (1n << 16n); // TEX 001 C B S
  const mem = new HandTables(4, 0x400n)
    .set(L1, 0x001, 0x8010_0000n | 0b10n | NORMAL_SEC | (0b01n << 10n)) // PL1 RW section
    .set(L1, 0x002, L2 | 0b01n) // page table, domain 0
    .set(L1, 0x003, 0x8030_0000n | 0b10n | (1n << 5n) | (0b01n << 10n)) // domain 1
    .set(L1, 0x004, 0x8040_0000n | 0b10n) // AP 000
    .set(L1, 0x005, 0x0900_0000n | 0b10n | (1n << 4n) | (0b01n << 10n)) // TEX 000 C0 B0: Strongly-ordered, XN
    .set(L1, 0x010, 0xa000_0000n | 0b10n | (1n << 18n) | (0x1n << 20n) | NORMAL_SEC | (0b11n << 10n), 16) // supersection, PA[35:32] = 1
    .set(L2, 0x05, 0x9000_5000n | 0b10n | 0b1n | (0b11n << 4n) | (1n << 9n)) // small page, XN, AP 111 (read-only everywhere)
    .set(L2, 0x10, 0x7000_0000n | 0b01n | (0b11n << 4n), 16); // large page 64 KiB, full access
  const regs = { ttbcr: 0n, ttbr0: L1 | 0x6an, dacr: 0x1n };

  it("1 MiB section: index VA[31:20] = 1, PA[31:20] from the descriptor", () => {
    expectTranslation(walkArmV7(mem, regs, 0x0010_1234n), { pa: 0x8010_1234n, pageSize: MIB, level: 1 }, { writable: true, executable: true, user: false, memoryType: "normal" });
  });

  it("small page through a second-level table: VA[19:12] = 5; AP 111 = read-only at PL0 and PL1; XN", () => {
    expectTranslation(walkArmV7(mem, regs, 0x0020_5abcn), { pa: 0x9000_5abcn, pageSize: 4n * KIB, level: 2 }, { writable: false, executable: false, user: true, memoryType: "device" });
  });

  it("64 KiB large page (16 repeated second-level entries)", () => {
    expect(walkArmV7(mem, regs, 0x0021_1234n)).toMatchObject({ kind: "translation", pa: 0x7000_1234n, pageSize: 64n * KIB });
  });

  it("16 MiB supersection with extended base address bits PA[35:32]", () => {
    const r = walkArmV7(mem, regs, 0x0101_2345n);
    expect(r).toMatchObject({ kind: "translation", pa: 0x1_a001_2345n, pageSize: 16n * MIB });
    expect(r.kind === "translation" && r.attributes.user).toBe(true);
  });

  it("Strongly-ordered section reads as device memory", () => {
    const r = walkArmV7(mem, regs, 0x0050_0000n);
    expect(r.kind === "translation" && r.attributes).toEqual({ writable: true, executable: false, user: false, memoryType: "device" });
  });

  it("faults: 0b00 descriptors, domain No access, AP 000, TTBR1 region with N = 1", () => {
    expect(walkArmV7(mem, regs, 0x0000_1000n)).toMatchObject({ kind: "fault", fault: "translation", level: 1 });
    expect(walkArmV7(mem, regs, 0x0020_6000n)).toMatchObject({ kind: "fault", fault: "translation", level: 2 });
    expect(walkArmV7(mem, regs, 0x0030_0000n)).toMatchObject({ kind: "fault", fault: "domain" });
    expect(walkArmV7(mem, regs, 0x0040_0000n)).toMatchObject({ kind: "fault", fault: "permission" });
    expect(walkArmV7(mem, { ...regs, ttbcr: 1n }, 0x8000_0000n)).toMatchObject({ kind: "fault", fault: "translation" });
  });

  it("a Manager domain skips permission checks", () => {
    const r = walkArmV7(mem, { ...regs, dacr: 0b1101n }, 0x0030_0000n);
    expect(r).toMatchObject({ kind: "translation", pa: 0x8030_0000n, attributes: { writable: true, user: true } });
  });
});

describe("ARMv7 long-descriptor (LPAE) walker (DDI 0406C B3.6)", () => {
  const L1 = 0x1_0000_0020n; // 32-byte aligned, above 4 GiB: TTBR0 is 64-bit
  const L2 = 0x1_0000_1000n;
  const L3 = 0x1_0000_2000n;
  const AF = 1n << 10n;
  const mem = new HandTables(8, 0x400n)
    .set(L1, 1, 0x2_4000_0000n | 0b01n | AF | (3n << 8n)) // 1 GiB block, Attr0
    .set(L1, 0, L2 | 0b11n)
    .set(L2, 1, 0x0900_0000n | 0b01n | AF | (1n << 2n) | (1n << 54n)) // 2 MiB block, Attr1 (device), XN
    .set(L2, 0, L3 | 0b11n)
    .set(L3, 3, 0x5000n | 0b11n | AF | (1n << 6n) | (1n << 7n)) // page, PL0 read-only
    .set(L3, 4, 0x6000n | 0b01n | AF) // 0b01 at level 3: reserved
    .set(L3, 5, 0x7000n | 0b11n) // AF clear
    .set(L3, 6, (1n << 41n) | 0b11n | AF); // OA bit 41
  const regs = { ttbcr: 1n << 31n, ttbr0: L1, mair0: 0x00ffn, mair1: 0n };

  it("1 GiB block at level 1 (VA[31:30] = 1) to a PA above 4 GiB", () => {
    expectTranslation(walkArmV7(mem, regs, 0x4000_1234n), { pa: 0x2_4000_1234n, pageSize: GIB, level: 1 }, { writable: true, executable: true, user: false, memoryType: "normal" });
  });

  it("2 MiB device block and a 4 KiB PL0 read-only page", () => {
    const d = walkArmV7(mem, regs, 0x0030_0010n);
    expect(d).toMatchObject({ kind: "translation", pa: 0x0910_0010n, pageSize: 2n * MIB, level: 2, attributes: { memoryType: "device", executable: false } });
    expectTranslation(walkArmV7(mem, regs, 0x3008n), { pa: 0x5008n, pageSize: 4n * KIB, level: 3 }, { writable: false, executable: true, user: true, memoryType: "normal" });
  });

  it("faults: reserved level-3 encoding, AF clear, address size, T0SZ = 1 region", () => {
    expect(walkArmV7(mem, regs, 0x4000n)).toMatchObject({ kind: "fault", fault: "translation", level: 3 });
    expect(walkArmV7(mem, regs, 0x5000n)).toMatchObject({ kind: "fault", fault: "access-flag" });
    expect(walkArmV7(mem, regs, 0x6000n)).toMatchObject({ kind: "fault", fault: "address-size" });
    expect(walkArmV7(mem, { ...regs, ttbcr: (1n << 31n) | 1n }, 0x8000_0000n)).toMatchObject({ kind: "fault", fault: "translation" });
  });

  it("T0SZ = 2 starts the walk at level 2 with TTBR0 pointing at a level-2 table", () => {
    const r = walkArmV7(mem, { ...regs, ttbcr: (1n << 31n) | 2n, ttbr0: L2 }, 0x0020_0004n);
    expect(r).toMatchObject({ kind: "translation", pa: 0x0900_0004n, level: 2 });
  });
});

describe("arm32 builders: exact table counts from first principles", () => {
  it("short: 4 GiB from 1 MiB: one 16 KiB L1 of 15 sections + 255 supersections", () => {
    const b = ARM32_SHORT.build([{ va: MIB, pa: MIB, size: 4n * GIB - MIB, attributes: RWX }], { tableBase: 0x8000_0000n });
    expect(b.tablesPerLevel).toEqual([1n, 0n]);
    expect(b.tablePages).toBe(4n);
    expect(b.leaves).toEqual([{ pageSize: 16n * MIB, count: 255n }, { pageSize: MIB, count: 15n }]);
    expect(b.registers).toMatchObject({ ttbcr: 0n, ttbr0: 0x8000_006an, dacr: 1n });
  });

  it("short: 1 GiB 4 KiB off alignment needs 1024 1 KiB L2 tables (one per MiB)", () => {
    const b = ARM32_SHORT.build([{ va: GIB, pa: GIB + 4n * KIB, size: GIB, attributes: RWX }], { tableBase: 0x8000_0000n });
    expect(b.tablesPerLevel).toEqual([1n, 1024n]);
    expect(b.tableBytes).toBe(16n * KIB + 1024n * KIB);
  });

  it("LPAE: 4 GiB identity (page 0 asked for) is one 4-entry L1 of 1 GiB blocks; without page 0: L1 + L2 + L3", () => {
    const all = ARM32_LPAE.build([{ va: 0n, pa: 0n, size: 4n * GIB, attributes: RWX }], { tableBase: 0x8000_0000n, mapPageZero: true });
    expect(all.tables).toBe(1n);
    expect(all.tableBytes).toBe(32n);
    const b = ARM32_LPAE.build([{ va: 4n * KIB, pa: 4n * KIB, size: 4n * GIB - 4n * KIB, attributes: RWX }], { tableBase: 0x8000_0000n });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 1n]);
    expect(b.leaves).toEqual([{ pageSize: GIB, count: 3n }, { pageSize: 2n * MIB, count: 511n }, { pageSize: 4n * KIB, count: 511n }]);
    expect(b.registers.ttbcr! >> 31n).toBe(1n);
  });

  it("refuses what the format cannot hold", () => {
    expect(() => ARM32_SHORT.build([], { tableBase: 0x8000_1000n })).toThrow(ValidationError); // L1 needs 16 KiB alignment
    expect(() => ARM32_SHORT.build([{ va: MIB, pa: 1n << 32n, size: MIB, attributes: RWX }], { tableBase: 0x8000_0000n })).toThrow(ValidationError);
    expect(() => ARM32_LPAE.build([{ va: MIB, pa: 1n << 40n, size: MIB, attributes: RWX }], { tableBase: 0x8000_0000n })).toThrow(ValidationError);
  });
});

describe("arm32 property: random mapping sets translate exactly and use the fewest tables", () => {
  const base = { tableBase: 0x8000_0000n };
  it("short-descriptor", () => checkFormatProperties(ARM32_SHORT, base));
  it("LPAE", () => checkFormatProperties(ARM32_LPAE, base));
});

describe("registered page-table formats", () => {
  it("are in the architecture, and their register values fit its register file", async () => {
    const { plugin } = await import("@handoff/arm32");
    const { checkRegisteredFormats } = await import("@handoff/test-support/registered-formats");
    checkRegisteredFormats(plugin, ['arm32-short', 'arm32-lpae']);
  });
});
