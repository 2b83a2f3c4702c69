import { describe, expect, it } from "vitest";
import { RegisterFile, RegisterWidthError, UnknownRegisterError, UnknownRegisterValueError, ValidationError, type NarrowMode, type RegisterSpec } from "@handoff/core";

// A toy architecture exercising every rule independently of the real arch tables.
const SPECS: RegisterSpec[] = [
  { name: "a", width: 64, kind: "gpr" },
  { name: "b", width: 64, kind: "gpr" },
  { name: "a32", width: 32, kind: "gpr", alias: { of: "a", lsb: 0, onWrite: "zero-extend" } },
  { name: "a16", width: 16, kind: "gpr", alias: { of: "a", lsb: 0, onWrite: "merge" } },
  { name: "ahi8", width: 8, kind: "gpr", alias: { of: "a", lsb: 8, onWrite: "merge" } },
  { name: "flags", width: 16, kind: "flags" },
];
const NARROW: NarrowMode = {
  id: "n32",
  width: 32,
  registers: [{ narrow: "a32", wide: "a" }],
  upperBitsUnknownAfterExecution: ["a", "b"],
  source: "test",
};

describe("RegisterFile", () => {
  it("starts with every register a known zero", () => {
    const f = new RegisterFile("toy", SPECS);
    for (const name of ["a", "b", "a32", "a16", "ahi8", "flags"]) {
      expect(f.get(name)).toBe(0n);
      expect(f.isKnown(name)).toBe(true);
    }
    expect(f.names()).toEqual(["a", "b", "flags"]);
  });

  it("keeps full 64-bit values exactly (beyond 2^53)", () => {
    const f = new RegisterFile("toy", SPECS).set("a", 0xffffffff80200000n);
    expect(f.get("a")).toBe(0xffffffff80200000n);
    expect(f.get("a32")).toBe(0x80200000n);
    expect(f.get("a16")).toBe(0n);
  });

  it("zero-extends a write to a zero-extending alias", () => {
    const f = new RegisterFile("toy", SPECS).set("a", 0xdeadbeef_cafef00dn).set("a32", 0x12345678n);
    expect(f.get("a")).toBe(0x12345678n);
  });

  it("merges a write to a merging alias, including one above bit 0", () => {
    const f = new RegisterFile("toy", SPECS).set("a", 0x1111_2222_3333_4444n);
    f.set("a16", 0xabcdn);
    expect(f.get("a")).toBe(0x1111_2222_3333_abcdn);
    f.set("ahi8", 0x99n);
    expect(f.get("a")).toBe(0x1111_2222_3333_99cdn);
    expect(f.get("a16")).toBe(0x99cdn);
  });

  it("refuses values that do not fit, naming register and width", () => {
    const f = new RegisterFile("toy", SPECS);
    expect(() => f.set("a", 1n << 64n)).toThrow(RegisterWidthError);
    expect(() => f.set("a32", 0x1_0000_0000n)).toThrow(RegisterWidthError);
    expect(() => f.set("flags", -1n)).toThrow(RegisterWidthError);
    try {
      f.set("a16", 0x10000n);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RegisterWidthError);
      const err = e as RegisterWidthError;
      expect([err.register, err.width, err.value]).toEqual(["a16", 16, 0x10000n]);
    }
    // Nothing was written by the refused calls.
    expect(f.get("a")).toBe(0n);
  });

  it("accepts negative values only when asked, as two's complement", () => {
    const f = new RegisterFile("toy", SPECS);
    f.set("a32", -1n, { signed: true });
    expect(f.get("a")).toBe(0xffffffffn);
    expect(() => f.set("a32", -(1n << 31n) - 1n, { signed: true })).toThrow(RegisterWidthError);
  });

  it("names unknown registers in a typed error", () => {
    const f = new RegisterFile("toy", SPECS);
    expect(() => f.get("zz")).toThrow(UnknownRegisterError);
    expect(() => f.set("zz", 0n)).toThrow(/no register named 'zz'/);
  });

  it("marks upper halves UNKNOWN after narrow-mode execution; low halves stay readable", () => {
    const f = new RegisterFile("toy", SPECS).set("a", 0xffff_ffff_0000_0001n).set("b", 5n);
    f.afterNarrowExecution(NARROW);
    expect(f.get("a32")).toBe(1n);
    expect(() => f.get("a")).toThrow(UnknownRegisterValueError);
    expect(f.read("b")).toEqual({ value: 5n, unknown: 0xffff_ffff_0000_0000n });
    // A zero-extending write makes the register fully known again; a merge does not.
    f.set("a16", 2n);
    expect(f.isKnown("a")).toBe(false);
    f.set("a32", 7n);
    expect(f.get("a")).toBe(7n);
    // Zeroing the upper halves (the Xen AArch32 entry rule) also restores knowledge.
    f.zeroUpperBits({ ...NARROW, registers: [{ narrow: "b32", wide: "b" }] });
    expect(f.get("b")).toBe(5n);
  });

  it("clones independently", () => {
    const f = new RegisterFile("toy", SPECS).set("a", 1n);
    const g = f.clone().set("a", 2n);
    expect([f.get("a"), g.get("a")]).toEqual([1n, 2n]);
  });

  it("rejects inconsistent tables", () => {
    expect(() => new RegisterFile("toy", [...SPECS, { name: "a", width: 8, kind: "gpr" }])).toThrow(ValidationError);
    expect(() => new RegisterFile("toy", [{ name: "x", width: 8, kind: "gpr", alias: { of: "nope", lsb: 0, onWrite: "merge" } }])).toThrow(ValidationError);
    expect(() =>
      new RegisterFile("toy", [
        { name: "x", width: 16, kind: "gpr" },
        { name: "xh", width: 16, kind: "gpr", alias: { of: "x", lsb: 8, onWrite: "merge" } },
      ]),
    ).toThrow(/does not fit/);
  });
});

describe("hardwired registers", () => {
  const specs: RegisterSpec[] = [
    { name: "zero", width: 64, kind: "gpr", hardwired: 0n },
    { name: "zero32", width: 32, kind: "gpr", alias: { of: "zero", lsb: 0, onWrite: "zero-extend" } },
    { name: "r1", width: 64, kind: "gpr" },
  ];
  it("read as their value, accept writes of it, refuse anything else, never become UNKNOWN", () => {
    const f = new RegisterFile("toy", specs);
    expect(f.get("zero")).toBe(0n);
    f.set("zero", 0n).set("zero32", 0n);
    expect(() => f.set("zero", 1n)).toThrow(/hardwired to 0x0/);
    expect(() => f.set("zero32", 5n)).toThrow(ValidationError);
    f.markUnknown("zero");
    expect(f.get("zero")).toBe(0n);
  });
});
