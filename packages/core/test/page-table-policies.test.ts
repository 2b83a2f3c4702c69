import { describe, expect, it } from "vitest";
import { MemoryMap, ValidationError, type Segment } from "@handoff/core";
import { addIdentityRegion, buildRadixTables, mappingsForPolicy, pageTableReport, regionsFromSegments, type Mapping, type RadixFormatSpec } from "@handoff/core/paging";

const PAGE = 0x1000n;
const MIB = 0x10_0000n;
const GIB = 0x4000_0000n;

const seg = (mem: bigint, memsz: bigint, role: Segment["role"]): Segment => ({ data: { kind: "zero" }, bufsz: 0n, mem, memsz, role });

describe("segments policy (the default): exactly the segments, identity, page-granular", () => {
  it("rounds each segment out to whole pages; code roles executable, data roles not", () => {
    const regions = regionsFromSegments([seg(0x10_0000n, 0x1_2345n, "kernel"), seg(0x20_0100n, 0x100n, "cmdline"), seg(0x30_0000n, 0n, "other")]);
    expect(regions).toHaveLength(2); // empty segments are never mapped
    const m = mappingsForPolicy({ kind: "segments", regions }, PAGE);
    expect(m).toEqual([
      { va: 0x10_0000n, pa: 0x10_0000n, size: 0x1_3000n, attributes: { writable: true, executable: true, memoryType: "normal" } },
      { va: 0x20_0000n, pa: 0x20_0000n, size: PAGE, attributes: { writable: true, executable: false, memoryType: "normal" } },
    ]);
  });

  it("a page shared by two regions gets the union of their rights", () => {
    const m = mappingsForPolicy(
      {
        kind: "segments",
        regions: [
          { start: 0x1_0000n, size: 0x1800n, writable: false, executable: true },
          { start: 0x1_1800n, size: 0x1000n, writable: true, executable: false },
        ],
      },
      PAGE,
    );
    expect(m.map((x) => [x.va, x.size, x.attributes.writable, x.attributes.executable])).toEqual([
      [0x1_0000n, PAGE, false, true],
      [0x1_1000n, PAGE, true, true],
      [0x1_2000n, PAGE, true, false],
    ]);
  });

  it("refuses page 0 unless asked, and normal memory over a device range of the memory map", () => {
    expect(() => mappingsForPolicy({ kind: "segments", regions: [{ start: 0x800n, size: 0x10n, writable: true, executable: false }] }, PAGE)).toThrow(ValidationError);
    expect(mappingsForPolicy({ kind: "segments", regions: [{ start: 0x800n, size: 0x10n, writable: true, executable: false }], mapPageZero: true }, PAGE)[0]!.va).toBe(0n);
    const memoryMap = MemoryMap.of([
      { start: 0n, size: 0x8000_0000n, type: "ram" },
      { start: 0xfe00_0000n, size: 0x100_0000n, type: "device" },
    ]);
    expect(() => mappingsForPolicy({ kind: "segments", regions: [{ start: 0xfe00_1000n, size: PAGE, writable: true, executable: false }], memoryMap }, PAGE)).toThrow(/never mapped as normal/);
    const uart = mappingsForPolicy({ kind: "segments", regions: [{ start: 0xfe00_1000n, size: PAGE, writable: true, executable: false, memoryType: "device" }], memoryMap }, PAGE);
    expect(uart[0]!.attributes.memoryType).toBe("device");
  });
});

describe("first-n-gib policy", () => {
  const memoryMap = MemoryMap.of([
    { start: 0n, size: 0x9_f800n, type: "ram" }, // ends mid-page
    { start: 0x9_f800n, size: 0x800n, type: "reserved" },
    { start: 0x10_0000n, size: 0x7ff0_0000n, type: "ram" },
    { start: 0x8000_0000n, size: 0x1000n, type: "acpi" },
    { start: 0xfec0_0000n, size: 0x1000n, type: "device" },
  ]);

  it("RAM normal (shrunk to whole pages), non-RAM and holes device (grown to whole pages), page 0 unmapped", () => {
    const m = mappingsForPolicy({ kind: "first-n-gib", gib: 4n, memoryMap }, PAGE);
    const summary = m.map((x) => [x.va, x.va + x.size, x.attributes.memoryType, x.attributes.executable]);
    expect(summary).toEqual([
      [PAGE, 0x9_f000n, "normal", true],
      [0x9_f000n, 0x10_0000n, "device", false],
      [0x10_0000n, 0x8000_0000n, "normal", true],
      [0x8000_0000n, 0x8000_1000n, "normal", false],
      [0x8000_1000n, 4n * GIB, "device", false],
    ]);
    // Nothing device-typed by the map is normal, and the policy covers [4 KiB, 4 GiB) without gaps.
    for (const x of m) expect(x.va === PAGE || m.some((y) => y.va + y.size === x.va)).toBe(true);
  });

  it("unknownAs unmapped maps only what the map calls memory; no map at all maps everything as device", () => {
    const m = mappingsForPolicy({ kind: "first-n-gib", gib: 1n, memoryMap, unknownAs: "unmapped" }, PAGE);
    expect(m.every((x) => x.attributes.memoryType === "normal")).toBe(true);
    const blind = mappingsForPolicy({ kind: "first-n-gib", gib: 1n }, PAGE);
    expect(blind).toEqual([{ va: PAGE, pa: PAGE, size: GIB - PAGE, attributes: { writable: true, executable: false, memoryType: "device" } }]);
  });
});

describe("all-ram policy", () => {
  it("maps RAM ranges only, rounded inwards, page 0 left out", () => {
    const memoryMap = MemoryMap.of([
      { start: 0n, size: 0x9_f800n, type: "ram" },
      { start: 0x9_f800n, size: 0x800n, type: "reserved" },
      { start: 0x10_0800n, size: 0x10_0000n, type: "ram" },
    ]);
    const m = mappingsForPolicy({ kind: "all-ram", memoryMap }, PAGE);
    expect(m.map((x) => [x.va, x.size])).toEqual([
      [PAGE, 0x9_e000n],
      [0x10_1000n, 0xf_f000n],
    ]);
  });
});

describe("addIdentityRegion", () => {
  it("adds only the uncovered parts", () => {
    const a = { writable: true, executable: false, memoryType: "normal" } as const;
    const base: Mapping[] = [{ va: 0x2000n, pa: 0x2000n, size: 0x2000n, attributes: a }];
    const out = addIdentityRegion(base, 0x1000n, 0x5000n, PAGE, a);
    expect(out.map((m) => [m.va, m.size]).sort((x, y) => (x[0]! < y[0]! ? -1 : 1))).toEqual([
      [0x1000n, 0x1000n],
      [0x2000n, 0x2000n],
      [0x4000n, 0x2000n],
    ]);
  });
});

/** A toy single-level format: 16 entries of 1 MiB sections, enough to check the report's and the segment's plumbing. */
const toy: RadixFormatSpec = {
  id: "toy",
  geometry: { vaBits: 24, entryBytes: 4, levels: [{ shift: 20, entries: 16, leafSizes: [MIB], tableAlign: 64n }] },
  physicalAddressBits: 32,
  tableLimit: 1n << 32n,
  noExecute: false,
  normaliseVa: (va) => (va < 1n << 24n ? va : undefined),
  tableDescriptor: () => 1n,
  leafDescriptor: () => 2n,
  registers: (root) => ({ registers: { base: root }, notes: ["toy"] }),
};

describe("pageTableReport", () => {
  it("reports root, counts, registers and the built mappings", () => {
    const build = buildRadixTables(toy, [{ va: MIB, pa: 5n * MIB, size: 2n * MIB, attributes: { writable: true, executable: false, memoryType: "normal" } }], { tableBase: 0x4000n });
    const r = pageTableReport(build);
    expect(r).toMatchObject({ format: "toy", root: 0x4000n, tables: 1, tablesPerLevel: [1], tableBytes: 64, tablePages: 1, registers: { base: 0x4000n }, leaves: [{ pageSize: MIB, count: 2 }] });
    // Executable is reported as the format can enforce it: this format cannot forbid execution.
    expect(r.mappings).toEqual([{ va: MIB, pa: 5n * MIB, size: 2n * MIB, writable: true, executable: true, user: false, memoryType: "normal" }]);
    const view = new DataView(build.segment.bytes.buffer);
    expect(view.getUint32(4, true)).toBe(Number(5n * MIB) | 2);
    expect(view.getUint32(8, true)).toBe(Number(6n * MIB) | 2);
    expect(view.getUint32(0, true)).toBe(0);
  });
});

describe("pageTableSegment", () => {
  it("wraps the table bytes as a page-tables segment at the table base", async () => {
    const { pageTableSegment } = await import("@handoff/core/paging");
    const build = buildRadixTables(toy, [], { tableBase: 0x8000n });
    expect(pageTableSegment(build)).toMatchObject({ mem: 0x8000n, memsz: 64n, bufsz: 64n, role: "page-tables", data: { kind: "bytes" } });
  });
});
