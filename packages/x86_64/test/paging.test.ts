import { describe, expect, it } from "vitest";
import { MemoryMap, ValidationError } from "@handoff/core";
import { planPageTables, regionsFromSegments, verifyPageTableBuild, type Mapping } from "@handoff/core/paging";
import { X86_64_4LEVEL, X86_64_5LEVEL, walkX86_64 } from "@handoff/x86_64";
import { checkFormatProperties } from "@handoff/test-support/page-table-properties";
import { HandTables, expectTranslation } from "@handoff/test-support/hand-tables";

const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const GIB = 0x4000_0000n;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;

// IA-32e mode with NX and WP: CR0.PG|WP|PE, CR4.PAE, EFER.LME|LMA|NXE.
const LONG_MODE = { cr0: 0x8001_0001n, cr4: 0x20n, efer: 0xd00n };

describe("x86-64 walker against hand-built tables (Intel SDM Vol. 3A §4.5)", () => {
  // CR3 -> PML4 @0x1000; PML4[0] -> PDPT @0x2000; PDPT[0] -> PD @0x3000; PD[0] -> PT @0x4000.
  // PDPT[1]: 1 GiB page at 1 GiB (PS). PD[1]: 2 MiB device page (PCD|PWT), NX.
  // PT[1]: 4 KiB read-only supervisor page at 0x5000. PT[3]: user, writable, at 0x9000.
  const mem = new HandTables()
    .set(0x1000n, 0, 0x2000n | 0x7n)
    .set(0x2000n, 0, 0x3000n | 0x7n)
    .set(0x2000n, 1, 0x4000_0000n | 0x83n)
    .set(0x3000n, 0, 0x4000n | 0x7n)
    .set(0x3000n, 1, 0x20_0000n | 0x83n | 0x18n | (1n << 63n))
    .set(0x3000n, 2, 0x40_0000n | 0x83n | (1n << 13n)) // bit 13 of a 2 MiB PDE is reserved
    .set(0x4000n, 1, 0x5000n | 0x1n)
    .set(0x4000n, 3, 0x9000n | 0x7n);
  const regs = { ...LONG_MODE, cr3: 0x1000n };

  it("translates a 4 KiB page: PML4 index 0, PDPT 0, PD 0, PT 1, offset 0xabc", () => {
    expectTranslation(walkX86_64(mem, regs, 0x1abcn), { pa: 0x5abcn, pageSize: KIB4, level: 3 }, { writable: false, executable: true, user: false, memoryType: "normal" });
  });

  it("a user page needs U/S at every level; here all levels have it", () => {
    const r = walkX86_64(mem, regs, 0x3010n);
    expect(r.kind === "translation" && r.attributes).toEqual({ writable: true, executable: true, user: true, memoryType: "normal" });
  });

  it("translates a 1 GiB page (PDPTE.PS) and a 2 MiB page with PCD|PWT = UC and NX", () => {
    expect(walkX86_64(mem, regs, 0x7fff_fff8n)).toMatchObject({ kind: "translation", pa: 0x7fff_fff8n, pageSize: GIB, level: 1 });
    expectTranslation(walkX86_64(mem, regs, 0x2f_1234n), { pa: 0x2f_1234n, pageSize: MIB2, level: 2 }, { writable: true, executable: false, user: false, memoryType: "device" });
  });

  it("faults: not present, reserved bit in a 2 MiB PDE, non-canonical, NX with EFER.NXE clear", () => {
    expect(walkX86_64(mem, regs, 0x2000n)).toMatchObject({ kind: "fault", fault: "translation", level: 3 });
    expect(walkX86_64(mem, regs, 0x80_0000n)).toMatchObject({ kind: "fault", fault: "translation", level: 2 });
    expect(walkX86_64(mem, regs, 0x40_0000n)).toMatchObject({ kind: "fault", fault: "reserved-bit", level: 2 });
    expect(walkX86_64(mem, regs, 0x0000_8000_0000_0000n)).toMatchObject({ kind: "fault", fault: "translation", reason: "non-canonical address" });
    expect(walkX86_64(mem, { ...regs, efer: 0x500n }, 0x20_0000n)).toMatchObject({ kind: "fault", fault: "reserved-bit" });
    expect(walkX86_64(mem, { ...regs, cr0: 0x1n }, 0x1000n)).toMatchObject({ kind: "fault", fault: "configuration" });
  });

  it("with CR0.WP clear, supervisor writes ignore R/W (SDM §4.6.1)", () => {
    const r = walkX86_64(mem, { ...regs, cr0: 0x8000_0001n }, 0x1000n);
    expect(r.kind === "translation" && r.attributes.writable).toBe(true);
  });

  it("U/S clear at the PML4E makes the whole subtree supervisor-only", () => {
    const m = new HandTables().set(0x1000n, 0, 0x2000n | 0x3n).set(0x2000n, 0, 0x3000n | 0x7n).set(0x3000n, 0, 0x4000n | 0x7n).set(0x4000n, 5, 0x8000n | 0x7n);
    const r = walkX86_64(m, { ...LONG_MODE, cr3: 0x1000n }, 0x5000n);
    expect(r).toMatchObject({ kind: "translation", pa: 0x8000n });
    expect(r.kind === "translation" && r.attributes.user).toBe(false);
  });

  it("5-level paging uses the PML5 at CR3 when CR4.LA57 is set", () => {
    const m = new HandTables()
      .set(0x1000n, 1, 0x2000n | 0x7n) // PML5[1]: VA bit 48
      .set(0x2000n, 0, 0x3000n | 0x7n)
      .set(0x3000n, 0, 0x4000_0000n | 0x83n);
    const la57 = { ...LONG_MODE, cr4: 0x1020n, cr3: 0x1000n };
    expect(walkX86_64(m, la57, (1n << 48n) + 0x123n)).toMatchObject({ kind: "translation", pa: 0x4000_0123n, pageSize: GIB, level: 2 });
    // The same address is non-canonical under 4-level paging.
    expect(walkX86_64(m, { ...la57, cr4: 0x20n }, (1n << 48n) + 0x123n)).toMatchObject({ kind: "fault", reason: "non-canonical address" });
  });
});

describe("x86-64 builder: exact table counts from first principles", () => {
  const base = 0x10_0000n;
  it("512 GiB of 1 GiB pages: one PML4 entry covers 512 GiB -> 1 PML4 + 1 PDPT, 512 PDPTE leaves", () => {
    const b = X86_64_4LEVEL.build([{ va: 512n * GIB, pa: 512n * GIB, size: 512n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tables).toBe(2n);
    expect(b.tablePages).toBe(2n);
    expect(b.tablesPerLevel).toEqual([1n, 1n, 0n, 0n]);
    expect(b.leaves).toEqual([{ pageSize: GIB, count: 512n }]);
    expect(b.registers.cr3).toBe(base);
  });

  it("4 GiB identity minus page 0: 1 PML4 + 1 PDPT + 1 PD (first GiB) + 1 PT (first 2 MiB)", () => {
    const b = X86_64_4LEVEL.build([{ va: KIB4, pa: KIB4, size: 4n * GIB - KIB4, attributes: RWX }], { tableBase: base });
    // First 2 MiB: 511 small pages; rest of the first GiB: 511 2 MiB pages; then 3 x 1 GiB.
    expect(b.tablesPerLevel).toEqual([1n, 1n, 1n, 1n]);
    expect(b.leaves).toEqual([{ pageSize: GIB, count: 3n }, { pageSize: MIB2, count: 511n }, { pageSize: KIB4, count: 511n }]);
  });

  it("4 GiB with PA 2 MiB off a 1 GiB boundary: 4 PDs of 2 MiB pages, no PT", () => {
    const b = X86_64_4LEVEL.build([{ va: 4n * GIB, pa: 4n * GIB + MIB2, size: 4n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 4n, 0n]);
    expect(b.leaves).toEqual([{ pageSize: MIB2, count: 2048n }]);
  });

  it("4 GiB with PA 4 KiB off: 4 GiB / 2 MiB = 2048 PTs under 4 PDs", () => {
    const b = X86_64_4LEVEL.build([{ va: 4n * GIB, pa: 4n * GIB + KIB4, size: 4n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 4n, 2048n]);
    expect(b.tablePages).toBe(2054n);
  });

  it("2 GiB straddling the 512 GiB line needs two PDPTs", () => {
    const b = X86_64_4LEVEL.build([{ va: 511n * GIB, pa: GIB, size: 2n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([2n > 0n ? 1n : 0n, 2n, 0n, 0n]);
  });

  it("5-level adds exactly one PML5", () => {
    const b = X86_64_5LEVEL.build([{ va: 512n * GIB, pa: 512n * GIB, size: 512n * GIB, attributes: RWX }], { tableBase: base });
    expect(b.tablesPerLevel).toEqual([1n, 1n, 1n, 0n, 0n]);
    expect(b.registers.cr4! & 0x1000n).toBe(0x1000n);
  });

  it("higher-half kernel mapping (0xffffffff80000000) walks back to its PA", () => {
    const kernel: Mapping = { va: 0xffff_ffff_8000_0000n, pa: 0x100_0000n, size: 16n * MIB2, attributes: RWX };
    const b = X86_64_4LEVEL.build([kernel], { tableBase: base });
    expect(X86_64_4LEVEL.walk(b.memory(), b.registers, 0xffff_ffff_8123_4567n)).toMatchObject({ kind: "translation", pa: 0x223_4567n, pageSize: MIB2 });
  });
});

describe("x86-64 builder refuses what the hand-off must not do", () => {
  const build = (m: Mapping[], mapPageZero = false) => () => X86_64_4LEVEL.build(m, { tableBase: 0x10_0000n, mapPageZero });
  it.each([
    ["page 0 without asking", [{ va: 0n, pa: 0n, size: KIB4, attributes: RWX }]],
    ["misaligned", [{ va: 0x1800n, pa: 0x1000n, size: KIB4, attributes: RWX }]],
    ["overlap", [{ va: 0x1000n, pa: 0x1000n, size: 2n * KIB4, attributes: RWX }, { va: 0x2000n, pa: 0x9000n, size: KIB4, attributes: RWX }]],
    ["non-canonical", [{ va: 0x0000_8000_0000_0000n, pa: 0x1000n, size: KIB4, attributes: RWX }]],
    ["executable device", [{ va: 0x1000n, pa: 0x1000n, size: KIB4, attributes: { writable: true, executable: true, memoryType: "device" } }]],
    ["normal/device alias", [{ va: 0x1000n, pa: 0xfee0_0000n, size: KIB4, attributes: RWX }, { va: 0x2000n, pa: 0xfee0_0000n, size: KIB4, attributes: { writable: true, executable: false, memoryType: "device" } }]],
    ["PA beyond 52 bits", [{ va: 0x1000n, pa: 1n << 52n, size: KIB4, attributes: RWX }]],
    ["wrap", [{ va: 0xffff_ffff_ffff_f000n, pa: 0x1000n, size: 2n * KIB4, attributes: RWX }]],
  ] as [string, Mapping[]][])("%s", (_name, m) => {
    expect(build(m)).toThrow(ValidationError);
  });
  it("page 0 when asked for", () => {
    const b = build([{ va: 0n, pa: 0n, size: KIB4, attributes: RWX }], true)();
    expect(X86_64_4LEVEL.walk(b.memory(), b.registers, 0x10n)).toMatchObject({ kind: "translation", pa: 0x10n });
  });
});

describe("x86-64 property: random mapping sets translate exactly and use the fewest tables", () => {
  it("4-level, lower half", () => checkFormatProperties(X86_64_4LEVEL));
  it("4-level, upper half (canonical sign extension)", () =>
    checkFormatProperties(X86_64_4LEVEL, { vaFromIndex: (i) => (1n << 64n) - (1n << 47n) + i, numRuns: 60 }));
  it("5-level", () => checkFormatProperties(X86_64_5LEVEL, { numRuns: 80 }));
});

describe("x86-64 hand-off plans through the mapping policies", () => {
  const memoryMap = MemoryMap.of([
    { start: 0n, size: 0x9_fc00n, type: "ram" },
    { start: 0xf_0000n, size: 0x1_0000n, type: "reserved" },
    { start: 0x10_0000n, size: 0xbff0_0000n, type: "ram" },
    { start: 0xfec0_0000n, size: 0x1000n, type: "device" },
    { start: 0x1_0000_0000n, size: 0x4000_0000n, type: "ram" },
  ]);

  it("segments (default): the kernel, cmdline and the tables' own pages, nothing else", () => {
    const regions = regionsFromSegments([
      { data: { kind: "zero" }, bufsz: 0n, mem: 0x100_0000n, memsz: 0x123_4567n, role: "kernel" },
      { data: { kind: "zero" }, bufsz: 0n, mem: 0x2_0000n, memsz: 0x800n, role: "cmdline" },
    ]);
    const { build } = planPageTables(X86_64_4LEVEL, { kind: "segments", regions, memoryMap }, { tableBase: 0x9_0000n });
    expect(verifyPageTableBuild(X86_64_4LEVEL, build, build.mappings, { samplesPerMapping: 8 })).toEqual([]);
    const walk = (va: bigint) => X86_64_4LEVEL.walk(build.memory(), build.registers, va);
    expect(walk(0x100_0000n)).toMatchObject({ kind: "translation", attributes: { executable: true, writable: true } });
    expect(walk(0x2_0000n)).toMatchObject({ kind: "translation", attributes: { executable: false } });
    // The tables map themselves (read/write, not executable) ...
    for (let pa = build.segment.pa; pa < build.segment.pa + build.tableBytes; pa += KIB4) {
      expect(walk(pa)).toMatchObject({ kind: "translation", pa, attributes: { writable: true, executable: false } });
    }
    // ... and nothing outside segments and tables is mapped.
    expect(walk(0x3_0000n).kind).toBe("fault");
    expect(walk(0x300_0000n).kind).toBe("fault");
    expect(walk(0n).kind).toBe("fault");
  });

  it("first-n-gib: device and reserved ranges are uncached, never normal", () => {
    const { build } = planPageTables(X86_64_4LEVEL, { kind: "first-n-gib", gib: 4n, memoryMap }, { tableBase: 0x9_0000n });
    const walk = (va: bigint) => X86_64_4LEVEL.walk(build.memory(), build.registers, va);
    expect(walk(0xfec0_0000n)).toMatchObject({ kind: "translation", attributes: { memoryType: "device", executable: false } });
    expect(walk(0xf_8000n)).toMatchObject({ kind: "translation", attributes: { memoryType: "device" } });
    expect(walk(0x9_f000n)).toMatchObject({ kind: "translation", attributes: { memoryType: "device" } }); // RAM ends mid-page
    expect(walk(0x8000_0000n)).toMatchObject({ kind: "translation", pageSize: GIB, attributes: { memoryType: "normal" } });
    expect(walk(4n * GIB).kind).toBe("fault");
    expect(verifyPageTableBuild(X86_64_4LEVEL, build, build.mappings)).toEqual([]);
  });

  it("all-ram: RAM above 4 GiB is mapped, holes and devices are not", () => {
    const { build } = planPageTables(X86_64_4LEVEL, { kind: "all-ram", memoryMap }, { tableBase: 0x9_0000n });
    const walk = (va: bigint) => X86_64_4LEVEL.walk(build.memory(), build.registers, va);
    expect(walk(0x1_2000_0000n)).toMatchObject({ kind: "translation", pageSize: GIB });
    expect(walk(0xfec0_0000n).kind).toBe("fault");
    expect(walk(0xf_8000n).kind).toBe("fault");
  });
});

describe("registered page-table formats", () => {
  it("are in the architecture, and their register values fit its register file", async () => {
    const { plugin } = await import("@handoff/x86_64");
    const { checkRegisteredFormats } = await import("@handoff/test-support/registered-formats");
    checkRegisteredFormats(plugin, ['x86_64-4level', 'x86_64-5level']);
  });
});

describe("x86-64 builder bounds its work", () => {
  it("refuses a mapping set that needs more table bytes than the limit, before allocating them", () => {
    // 2^46 bytes of 4 KiB pages (PA off by 4 KiB) would need ~128 GiB of page tables.
    const huge: Mapping = { va: 1n << 46n, pa: 0x1000n, size: 1n << 46n, attributes: RWX };
    expect(() => X86_64_4LEVEL.build([huge], { tableBase: 0x10_0000n })).toThrow(/more than 0x10000000 bytes of tables/);
    expect(() => X86_64_4LEVEL.build([{ ...huge, size: 64n << 20n }], { tableBase: 0x10_0000n, maxTableBytes: 0x4000n })).toThrow(ValidationError);
  });
});
