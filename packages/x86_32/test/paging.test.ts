import { describe, expect, it } from "vitest";
import { ValidationError } from "@handoff/core";
import { X86_32_2LEVEL, X86_32_PAE, walkX86_32 } from "@handoff/x86_32";
import { checkFormatProperties } from "@handoff/test-support/page-table-properties";
import { HandTables, expectTranslation } from "@handoff/test-support/hand-tables";

const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const MIB4 = 0x40_0000n;
const GIB = 0x4000_0000n;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;

const PAGING = { cr0: 0x8001_0001n }; // PG | WP | PE

describe("32-bit paging walker (Intel SDM Vol. 3A §4.3)", () => {
  // CR3 -> PD @0x1000. PD[0] -> PT @0x2000; PD[1]: 4 MiB page @0x0c00_0000 (PS) with PSE-36 bits;
  // PT[5]: 4 KiB read-only page @0x7000; PD[2]: PS with bit 21 set (reserved).
  const mem = new HandTables(4)
    .set(0x1000n, 0, 0x2000n | 0x7n)
    .set(0x1000n, 1, 0x0c00_0000n | 0x83n | (0x3n << 13n)) // PDE[20:13] = 3 -> PA[39:32] = 3
    .set(0x1000n, 2, 0x0c40_0000n | 0x83n | (1n << 21n))
    .set(0x1000n, 3, 0x0c80_0000n | 0x83n | 0x18n)
    .set(0x2000n, 5, 0x7000n | 0x5n);
  const regs = { ...PAGING, cr3: 0x1000n, cr4: 0x10n }; // CR4.PSE

  it("4 KiB page: directory index VA[31:22] = 0, table index VA[21:12] = 5", () => {
    expectTranslation(walkX86_32(mem, regs, 0x5abcn), { pa: 0x7abcn, pageSize: KIB4, level: 1 }, { writable: false, executable: true, user: true, memoryType: "normal" });
  });

  it("4 MiB PSE page: PA[31:22] from PDE[31:22], PA[39:32] from PDE[20:13]", () => {
    expect(walkX86_32(mem, regs, 0x0040_1234n)).toMatchObject({ kind: "translation", pa: 0x3_0c00_1234n, pageSize: MIB4 });
    const dev = walkX86_32(mem, regs, 0x00c0_0000n);
    expect(dev.kind === "translation" && dev.attributes.memoryType).toBe("device");
  });

  it("without CR4.PSE the PS bit is ignored and the PDE points at a page table", () => {
    const r = walkX86_32(mem, { ...regs, cr4: 0n }, 0x0040_1234n);
    // PDE[1] used as a table pointer at 0x0c00_6000 (low flag bits masked): not in memory.
    expect(r).toMatchObject({ kind: "fault", fault: "bus", level: 1 });
  });

  it("faults: PDE not present, PTE not present, bit 21 of a 4 MiB PDE", () => {
    expect(walkX86_32(mem, regs, 0x0100_0000n)).toMatchObject({ kind: "fault", fault: "translation", level: 0 });
    expect(walkX86_32(mem, regs, 0x6000n)).toMatchObject({ kind: "fault", fault: "translation", level: 1 });
    expect(walkX86_32(mem, regs, 0x0080_0000n)).toMatchObject({ kind: "fault", fault: "reserved-bit" });
  });
});

describe("PAE paging walker (Intel SDM Vol. 3A §4.4)", () => {
  // CR3 = 0x1020: the PDPT is 32-byte aligned, not page aligned. PDPTE[1] -> PD @0x3000;
  // PD[0]: 2 MiB page @0x1_0000_0000 (above 4 GiB), XD; PD[1] -> PT @0x4000; PT[2]: 4 KiB page @0x9000.
  const mem = new HandTables(8)
    .set(0x1020n, 1, 0x3000n | 0x1n)
    .set(0x1020n, 2, 0x5000n | 0x3n) // R/W in a PDPTE is reserved
    .set(0x3000n, 0, 0x1_0000_0000n | 0x83n | (1n << 63n))
    .set(0x3000n, 1, 0x4000n | 0x7n)
    .set(0x4000n, 2, 0x9000n | 0x7n);
  const regs = { ...PAGING, cr3: 0x1020n, cr4: 0x20n, efer: 0x800n };

  it("2 MiB page above 4 GiB with XD: PDPTE index VA[31:30] = 1, PDE index VA[29:21] = 0", () => {
    expectTranslation(walkX86_32(mem, regs, GIB + 0x1_2345n), { pa: 0x1_0001_2345n, pageSize: MIB2, level: 1 }, { writable: true, executable: false, user: false, memoryType: "normal" });
  });

  it("4 KiB page: PDE index 1, PTE index 2", () => {
    expect(walkX86_32(mem, regs, GIB + MIB2 + 0x2ff0n)).toMatchObject({ kind: "translation", pa: 0x9ff0n, pageSize: KIB4, level: 2 });
  });

  it("faults: PDPTE not present, PDPTE reserved bit, XD with EFER.NXE clear", () => {
    expect(walkX86_32(mem, regs, 0x1000n)).toMatchObject({ kind: "fault", fault: "translation", level: 0 });
    expect(walkX86_32(mem, regs, 2n * GIB)).toMatchObject({ kind: "fault", fault: "reserved-bit", level: 0 });
    expect(walkX86_32(mem, { ...regs, efer: 0n }, GIB)).toMatchObject({ kind: "fault", fault: "reserved-bit", level: 1 });
  });
});

describe("x86_32 builders: exact table counts from first principles", () => {
  it("2-level: 4 GiB minus the first 4 MiB of 4 MiB pages is one page directory", () => {
    const b = X86_32_2LEVEL.build([{ va: MIB4, pa: MIB4, size: 4n * GIB - MIB4, attributes: RWX }], { tableBase: 0x10_0000n });
    expect(b.tablesPerLevel).toEqual([1n, 0n]);
    expect(b.leaves).toEqual([{ pageSize: MIB4, count: 1023n }]);
    expect(b.registers.cr4).toBe(0x10n);
  });

  it("2-level: 1 GiB 4 KiB off alignment needs 1 PD + 256 PTs (one per 4 MiB)", () => {
    const b = X86_32_2LEVEL.build([{ va: GIB, pa: GIB + KIB4, size: GIB, attributes: RWX }], { tableBase: 0x10_0000n });
    expect(b.tablesPerLevel).toEqual([1n, 256n]);
    expect(b.tablePages).toBe(257n);
  });

  it("PAE: 4 GiB from 2 MiB: PDPT + 4 PDs; 2 MiB with 4 KiB pages adds 1 PT", () => {
    const b = X86_32_PAE.build([{ va: 0x1000n, pa: 0x1000n, size: 4n * GIB - 0x1000n, attributes: RWX }], { tableBase: 0x10_0000n });
    expect(b.tablesPerLevel).toEqual([1n, 4n, 1n]);
    // 32-byte PDPT padded to a page, then 5 page-sized tables.
    expect(b.tablePages).toBe(6n);
    expect(b.registers.cr3).toBe(0x10_0000n);
  });

  it("PAE: PDPT at a 32-byte aligned base", () => {
    const b = X86_32_PAE.build([{ va: GIB, pa: GIB, size: MIB2, attributes: RWX }], { tableBase: 0x10_0fe0n });
    expect(b.root).toBe(0x10_0fe0n);
    expect(X86_32_PAE.walk(b.memory(), b.registers, GIB + 5n)).toMatchObject({ kind: "translation", pa: GIB + 5n });
    expect(() => X86_32_PAE.build([], { tableBase: 0x10_0ff0n })).toThrow(ValidationError);
  });

  it("refuses tables above 4 GiB and 2-level PAs above 4 GiB", () => {
    expect(() => X86_32_PAE.build([], { tableBase: 1n << 32n })).toThrow(ValidationError);
    expect(() => X86_32_2LEVEL.build([{ va: 0x1000n, pa: 1n << 32n, size: KIB4, attributes: RWX }], { tableBase: 0x10_0000n })).toThrow(ValidationError);
  });
});

describe("x86_32 property: random mapping sets translate exactly and use the fewest tables", () => {
  it("2-level (PSE)", () => checkFormatProperties(X86_32_2LEVEL));
  it("PAE", () => checkFormatProperties(X86_32_PAE));
});

describe("registered page-table formats", () => {
  it("are in the architecture, and their register values fit its register file", async () => {
    const { plugin } = await import("@handoff/x86_32");
    const { checkRegisteredFormats } = await import("@handoff/test-support/registered-formats");
    checkRegisteredFormats(plugin, ['x86_32-pae', 'x86_32-2level']);
  });
});
