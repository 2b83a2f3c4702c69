import { describe, expect, it } from "vitest";
import { HandoffState, MemoryMap, RegisterFile, ValidationError, alignUp, checkedAdd64, fitsSigned, fitsUnsigned } from "@handoff/core";

describe("checked 64-bit arithmetic", () => {
  it("adds without wrapping or refuses", () => {
    expect(checkedAdd64(0xffff_ffff_ffff_f000n, 0xfffn, "x")).toBe(0xffff_ffff_ffff_ffffn);
    expect(() => checkedAdd64(0xffff_ffff_ffff_f000n, 0x1000n, "seg")).toThrow(ValidationError);
    expect(() => checkedAdd64(-1n, 0n, "seg")).toThrow(/negative/);
  });
  it("checks widths both ways", () => {
    expect(fitsUnsigned(0xffn, 8)).toBe(true);
    expect(fitsUnsigned(0x100n, 8)).toBe(false);
    expect(fitsSigned(-128n, 8)).toBe(true);
    expect(fitsSigned(128n, 8)).toBe(false);
    expect(alignUp(0x1001n, 0x1000n)).toBe(0x2000n);
  });
});

describe("HandoffState", () => {
  const specs = [
    { name: "r0", width: 32, kind: "gpr" as const },
    { name: "r1", width: 32, kind: "gpr" as const },
    { name: "r1l", width: 8, kind: "gpr" as const, alias: { of: "r1", lsb: 0, onWrite: "merge" as const } },
  ];
  it("gives every register a value and a provenance; undefined ones are forced to zero", () => {
    const dirty = new RegisterFile("toy", specs).set("r1", 0xdeadn);
    const s = HandoffState.fromProtocol("toy-boot", dirty, { r0: { value: 0x1234n, clause: "toy spec §1" } });
    expect(s.registers.get("r0")).toBe(0x1234n);
    expect(s.registers.get("r1")).toBe(0n);
    expect(s.provenanceOf("r0")).toEqual({ kind: "protocol", protocol: "toy-boot", clause: "toy spec §1" });
    expect(s.provenanceOf("r1l")).toEqual({ kind: "forced-zero" });
    expect(dirty.get("r1")).toBe(0xdeadn);
    expect(s.toJSON().registers.map((r) => r.value)).toEqual(["0x1234", "0x0"]);
  });
  it("refuses a protocol value that does not fit or names an alias", () => {
    const f = new RegisterFile("toy", specs);
    expect(() => HandoffState.fromProtocol("p", f, { r0: { value: 1n << 32n, clause: "" } })).toThrow(/does not fit/);
    expect(() => HandoffState.fromProtocol("p", f, { r1l: { value: 1n, clause: "" } })).toThrow(/not its alias/);
  });
});

describe("MemoryMap", () => {
  it("sorts, joins adjacent ranges for coverage, refuses overlap and wrap", () => {
    const m = MemoryMap.of([
      { start: 0x100000n, size: 0x1ff00000n, type: "ram" },
      { start: 0n, size: 0x9fc00n, type: "ram" },
      { start: 0x9fc00n, size: 0x400n, type: "reserved" },
    ]);
    expect(m.ranges.map((r) => r.start)).toEqual([0n, 0x9fc00n, 0x100000n]);
    expect(m.covers(0x1000n, 0x2000n)).toBe(true);
    expect(m.covers(0x9f000n, 0xa0000n)).toBe(false);
    expect(m.totalRam()).toBe(0x9fc00n + 0x1ff00000n);
    expect(() => MemoryMap.of([{ start: 0n, size: 0x2000n, type: "ram" }, { start: 0x1000n, size: 0x1000n, type: "reserved" }])).toThrow(/overlaps/);
    expect(() => MemoryMap.of([{ start: 0xffff_ffff_ffff_f000n, size: 0x2000n, type: "ram" }])).toThrow(/wraps/);
  });
});
