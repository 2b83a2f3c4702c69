import { describe, expect, it } from "vitest";
import { ARM_VIRT_MEMORY_LAYOUT } from "@handoff/arm";
import { FormatError, MemoryMap, ValidationError, type MemoryRange } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";

const MiB = 1n << 20n;
const GiB = 1n << 30n;

function plain(map: MemoryMap): [string, string, string][] {
  return map.ranges.map((r: MemoryRange) => [`0x${r.start.toString(16)}`, `0x${(r.start + r.size).toString(16)}`, r.type]);
}

describe("MemoryMap.fromMachine", () => {
  /** Every PC map starts so: conventional RAM below the EBDA, then the legacy hole to 1 MiB. */
  const PC_LOW: [string, string, string][] = [
    ["0x0", "0x9fc00", "ram"],
    ["0x9fc00", "0x100000", "reserved"],
  ];

  it("PC with 512 MiB: low RAM below 0x9fc00, reserved hole to 1 MiB, RAM to 512 MiB", () => {
    const map = MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT);
    expect(plain(map)).toEqual([...PC_LOW, ["0x100000", "0x20000000", "ram"]]);
    // The hole counts against the size, as on QEMU pc.
    expect(map.totalRam()).toBe(512n * MiB - (0x100000n - 0x9fc00n));
  });

  it("PC with 4 GiB: RAM above 3 GiB continues at 4 GiB", () => {
    const map = MemoryMap.fromMachine(4n * GiB, PC_MEMORY_LAYOUT);
    expect(plain(map)).toEqual([...PC_LOW, ["0x100000", "0xc0000000", "ram"], ["0x100000000", "0x140000000", "ram"]]);
  });

  it("PC smaller than the hole has no hole", () => {
    expect(plain(MemoryMap.fromMachine(0x80000n, PC_MEMORY_LAYOUT))).toEqual([["0x0", "0x80000", "ram"]]);
  });

  it("arm virt: RAM at 0x40000000; sizes past the machine's limit refused", () => {
    expect(plain(MemoryMap.fromMachine(GiB, ARM_VIRT_MEMORY_LAYOUT))).toEqual([["0x40000000", "0x80000000", "ram"]]);
    expect(() => MemoryMap.fromMachine(256n * GiB, ARM_VIRT_MEMORY_LAYOUT)).toThrow(ValidationError);
    expect(() => MemoryMap.fromMachine(0n, ARM_VIRT_MEMORY_LAYOUT)).toThrow(/positive/);
  });
});

describe("MemoryMap.fromJson", () => {
  it("reads start/size and start/end, hex, decimal and numbers", () => {
    const map = MemoryMap.fromJson(
      JSON.stringify({ ranges: [{ start: "0x100000", size: "0x1ff00000" }, { start: 0, end: 654336, type: "ram" }, { start: "655360", size: "0x60000", type: "reserved" }] }),
      "m.json",
    );
    expect(plain(map)).toEqual([
      ["0x0", "0x9fc00", "ram"],
      ["0xa0000", "0x100000", "reserved"],
      ["0x100000", "0x20000000", "ram"],
    ]);
    expect(MemoryMap.fromJson('[{"start":"0x40000000","size":"0x40000000"}]', "bare.json").totalRam()).toBe(GiB);
  });

  const bad: [string, string, RegExp][] = [
    ["{", "$", /not JSON/],
    ['{"ranges": 3}', "$.ranges", /array/],
    ['{"ranges": [{"start": "0x1000", "size": "0x1000", "type": "ramm"}]}', "$.ranges[0].type", /one of/],
    ['{"ranges": [{"start": "0x1000"}]}', "$.ranges[0].size", /missing/],
    ['{"ranges": [{"start": "0x1000", "size": "0x1000", "end": "0x3000"}]}', "$.ranges[0]", /not both/],
    ['{"ranges": [{"start": "0x1000", "size": "-5"}]}', "$.ranges[0].size", /hex/],
    ['{"ranges": [{"start": 1e300, "size": "0x1000"}]}', "$.ranges[0].start", /safe integers/],
    ['{"ranges": [{"start": "0xffffffffffffff00", "size": "0x1000"}]}', "$.ranges[0].size", /wraps/],
    ['{"ranges": [{"start": "0x10000000000000000", "size": "0x1000"}]}', "$.ranges[0].start", /64 bits/],
    ['{"ranges": [{"start": "0x1000", "end": "0x1000"}]}', "$.ranges[0].end", /not above/],
    ['{"ranges": [{"start": "0x1000", "size": "0x2000"}, {"start": "0x2000", "size": "0x1000"}]}', "$.ranges", /overlaps/],
    ['{"ranges": [{"start": "0x1000", "size": "0x1000", "colour": "red"}]}', "$.ranges[0].colour", /unknown field/],
  ];
  for (const [text, field, reason] of bad) {
    it(`refuses ${text.slice(0, 60)} at ${field}`, () => {
      try {
        MemoryMap.fromJson(text, "bad.json");
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        const f = e as FormatError;
        expect(f.file).toBe("bad.json");
        expect(f.field).toBe(field);
        expect(f.reason).toMatch(reason);
      }
    });
  }
});

describe("MemoryMap.fromFdtMemory", () => {
  it("combines /memory reg ranges and carves reserved ones", () => {
    const map = MemoryMap.fromFdtMemory(
      [
        { start: 0x40000000n, size: 0x20000000n },
        { start: 0x80000000n, size: 0n },
      ],
      [{ start: 0x48000000n, size: 0x100000n }],
    );
    expect(plain(map)).toEqual([
      ["0x40000000", "0x48000000", "ram"],
      ["0x48000000", "0x48100000", "reserved"],
      ["0x48100000", "0x60000000", "ram"],
    ]);
    expect(() => MemoryMap.fromFdtMemory([])).toThrow(/no non-empty/);
    expect(() => MemoryMap.fromFdtMemory([{ start: 0xfffffffffffff000n, size: 0x2000n }])).toThrow(/wraps/);
  });
});

describe("MemoryMap carve / subtract / freeRam", () => {
  const map = MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT);
  it("carve splits a RAM range and types the middle", () => {
    const c = map.carve(0x200000n, 0x300000n, "acpi");
    expect(plain(c).slice(2)).toEqual([
      ["0x100000", "0x200000", "ram"],
      ["0x200000", "0x300000", "acpi"],
      ["0x300000", "0x20000000", "ram"],
    ]);
    expect(c.covers(0x100000n, 0x300000n)).toBe(false);
    expect(c.covers(0x300000n, 0x20000000n)).toBe(true);
  });
  it("subtract removes ranges; freeRam merges RAM and subtracts used ranges", () => {
    expect(plain(map.subtract(0n, 0x100000n))).toEqual([["0x100000", "0x20000000", "ram"]]);
    expect(map.freeRam([{ start: 0n, end: 0x1000n }, { start: 0x1000000n, end: 0x2000000n }])).toEqual([
      { start: 0x1000n, end: 0x9fc00n },
      { start: 0x100000n, end: 0x1000000n },
      { start: 0x2000000n, end: 0x20000000n },
    ]);
  });
});
