import { describe, expect, it } from "vitest";
import { C, CTypeEnvironment, CTypeError, FieldValueError, emitCDeclarations, encodeCValue, layoutProbes, readCValue, writeCValue, type CDataModel, type CType } from "@handoff/core/c-abi";
import { FormatError, ValidationError } from "@handoff/core";

// Two toy data models differing only where real ABIs differ: 64-bit integer
// member alignment and pointer/long size.
const ILP32_LL4: CDataModel = {
  id: "ilp32-ll4", description: "", endianness: "little", charSigned: true, source: "test",
  types: { char: { size: 1, align: 1 }, short: { size: 2, align: 2 }, int: { size: 4, align: 4 }, long: { size: 4, align: 4 }, "long long": { size: 8, align: 4 }, pointer: { size: 4, align: 4 } },
};
const ILP32_LL8: CDataModel = { ...ILP32_LL4, id: "ilp32-ll8", types: { ...ILP32_LL4.types, "long long": { size: 8, align: 8 } } };
const LP64: CDataModel = {
  ...ILP32_LL4, id: "lp64",
  types: { char: { size: 1, align: 1 }, short: { size: 2, align: 2 }, int: { size: 4, align: 4 }, long: { size: 8, align: 8 }, "long long": { size: 8, align: 8 }, pointer: { size: 8, align: 8 } },
};

const structHandle = (t: string): CType => C.struct({ p: C.ptr(t) });
const unionHandle = (t: string): CType => C.union({ p: C.ptr(t), q: C.aligned("uint64_t", 8) });

const TYPES: Record<string, CType> = {
  pair: C.struct({ a: "uint32_t", b: "uint64_t" }),
  tail: C.struct({ a: "uint64_t", b: "uint8_t" }),
  u: C.union({ small: "uint16_t", big: C.array("uint32_t", 3) }),
  nested: C.struct({ c: "char", inner: "pair", arr: C.array("uint16_t", 3), lng: "unsigned long" }),
  withHandle: C.struct({ n: "uint32_t", h: C.handle("pair"), x: "uint32_t" }),
  flex: C.struct({ n: "uint32_t", items: C.array("uint16_t", "flexible") }),
  signedThings: C.struct({ a: "int8_t", b: "int32_t", c: "int64_t" }),
};

const env = (dm: CDataModel, handle = structHandle) => new CTypeEnvironment(dm, new Map(Object.entries(TYPES)), handle);

describe("C layout engine", () => {
  it("pads a 64-bit member by the data model's member alignment", () => {
    expect(env(ILP32_LL4).layout("pair")).toMatchObject({ size: 12, align: 4 });
    expect(env(ILP32_LL4).field("pair", "b").offset).toBe(4);
    expect(env(ILP32_LL8).layout("pair")).toMatchObject({ size: 16, align: 8 });
    expect(env(ILP32_LL8).field("pair", "b").offset).toBe(8);
  });

  it("adds trailing padding up to the struct alignment", () => {
    expect(env(LP64).layout("tail").size).toBe(16);
    expect(env(ILP32_LL4).layout("tail").size).toBe(12);
  });

  it("sizes a union by its largest member, rounded to its alignment", () => {
    const l = env(LP64).layout("u");
    expect(l).toMatchObject({ kind: "union", size: 12, align: 4 });
  });

  it("lays out nested structs, arrays and long", () => {
    const e = env(LP64);
    expect(e.field("nested", "inner").offset).toBe(8);
    expect(e.field("nested", "inner.b").offset).toBe(16);
    expect(e.field("nested", "arr[2]").offset).toBe(28);
    expect(e.field("nested", "lng").offset).toBe(32);
    expect(e.layout("nested").size).toBe(40);
    const e32 = env(ILP32_LL4);
    expect(e32.field("nested", "lng").offset).toBe(4 + 12 + 6 + 2);
    expect(e32.layout("nested").size).toBe(28);
  });

  it("lays out a guest handle per the ABI's representation", () => {
    expect(env(ILP32_LL4).field("withHandle", "h")).toMatchObject({ offset: 4, layout: { size: 4 } });
    expect(env(ILP32_LL4).layout("withHandle").size).toBe(12);
    const arm32 = env(ILP32_LL8, unionHandle);
    expect(arm32.field("withHandle", "h")).toMatchObject({ offset: 8, layout: { size: 8, align: 8 } });
    expect(arm32.field("withHandle", "x").offset).toBe(16);
    expect(arm32.layout("withHandle").size).toBe(24);
  });

  it("places a flexible array member and does not count it in sizeof", () => {
    expect(env(LP64).layout("flex").size).toBe(4);
    expect(env(LP64).field("flex", "items").offset).toBe(4);
  });

  it("refuses bad definitions with typed errors", () => {
    const bad = (t: CType) => new CTypeEnvironment(LP64, new Map([["t", t]]), structHandle);
    expect(() => bad(C.struct({ a: "t" })).layout("t")).toThrow(CTypeError);
    expect(() => bad(C.struct({ a: "missing" })).layout("t")).toThrow(/not defined/);
    expect(() => bad(C.struct([{ name: "a", type: C.int("int") }, { name: "a", type: C.int("int") }])).layout("t")).toThrow(/twice/);
    expect(() => bad(C.struct({ f: C.array("int", "flexible"), b: "int" })).layout("t")).toThrow(/last member/);
    expect(() => bad(C.aligned("int", 3)).layout("t")).toThrow(/power of two/);
    expect(() => env(LP64).field("pair", "nope")).toThrow(/no member/);
    expect(() => env(LP64).field("nested", "arr[3]")).toThrow(/out of bounds/);
    expect(() => env({ ...LP64, types: { ...LP64.types, long: { size: 8, align: 3 } } })).toThrow(/long: size 8, align 3/);
    expect(() => env({ ...LP64, types: { ...LP64.types, int: { size: 4, align: 8 } } })).toThrow(ValidationError);
  });
});

describe("struct readers and writers", () => {
  it("round-trips nested values, 64-bit fields as bigint", () => {
    const e = env(LP64);
    const l = e.layout("nested");
    const value = { c: 0x41n, inner: { a: 0xdeadbeefn, b: 0xffffffff80200000n }, arr: [1n, 2n, 0xffffn], lng: 0x123456789abcdefn };
    const bytes = encodeCValue(l, value);
    expect(bytes.length).toBe(40);
    expect(bytes[16 + 7]).toBe(0xff); // little-endian top byte of inner.b
    expect(readCValue(l, bytes)).toEqual(value);
  });

  it("reads signed fields with sign and refuses values that do not fit", () => {
    const l = env(LP64).layout("signedThings");
    const bytes = encodeCValue(l, { a: -1n, b: -2147483648n, c: -5n });
    expect(readCValue(l, bytes)).toEqual({ a: -1n, b: -2147483648n, c: -5n });
    expect(() => encodeCValue(l, { a: 128n })).toThrow(FieldValueError);
    expect(() => encodeCValue(env(LP64).layout("pair"), { a: 1n << 32n })).toThrow(/does not fit/);
    expect(() => encodeCValue(env(LP64).layout("pair"), { a: -1n })).toThrow(FieldValueError);
  });

  it("refuses unknown members, over-long arrays and two union members", () => {
    const e = env(LP64);
    expect(() => encodeCValue(e.layout("pair"), { zz: 1n })).toThrow(/no member 'zz'/);
    expect(() => encodeCValue(e.layout("nested"), { arr: [1n, 2n, 3n, 4n] })).toThrow(/4 elements/);
    expect(() => encodeCValue(e.layout("u"), { small: 1n, big: [1n] })).toThrow(/together/);
  });

  it("bounds-checks every read with a FormatError naming field and offset", () => {
    const l = env(LP64).layout("pair");
    const err = (() => {
      try {
        readCValue(l, new Uint8Array(15), 0, { label: "buf" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).field).toBe("b");
    expect((err as FormatError).offset).toBe(8);
    expect(() => readCValue(l, new Uint8Array(16), 1)).toThrow(FormatError);
    expect(() => writeCValue(l, {}, new Uint8Array(16), -1)).toThrow(FormatError);
    expect(readCValue(l, new Uint8Array(17), 1)).toEqual({ a: 0n, b: 0n });
  });

  it("reads a counted flexible array only within the buffer", () => {
    const l = env(LP64).layout("flex");
    const bytes = encodeCValue(l, { n: 2n, items: [7n, 9n] });
    expect(bytes.length).toBe(8);
    expect(readCValue(l, bytes, 0, { flexibleCount: 2 })).toEqual({ n: 2n, items: [7n, 9n] });
    expect(() => readCValue(l, bytes, 0, { flexibleCount: 3 })).toThrow(FormatError);
  });

  it("writes a union handle as the full 8 bytes (upper half zero)", () => {
    const e = env(ILP32_LL8, unionHandle);
    const l = e.layout("withHandle");
    const bytes = new Uint8Array(l.size).fill(0xaa);
    writeCValue(l, { n: 1n, h: 0x1000n, x: 2n }, bytes);
    expect([...bytes.subarray(8, 16)]).toEqual([0, 0x10, 0, 0, 0, 0, 0, 0]);
    expect(() => writeCValue(l, { h: 1n << 64n }, bytes)).toThrow(FieldValueError);
  });
});

describe("C emission", () => {
  it("declares integer typedefs from the data model and every named type", () => {
    const src = emitCDeclarations(env(ILP32_LL4), ["nested", "withHandle", "flex"]);
    expect(src).toContain("typedef unsigned long long uint64_t;");
    expect(src).toContain("typedef struct {\n  uint32_t a;\n  uint64_t b;\n} pair;");
    expect(src).toMatch(/uint16_t items\[\];/);
    expect(emitCDeclarations(env(LP64), ["pair"])).toContain("typedef unsigned long uint64_t;");
  });

  it("lists probes for every member", () => {
    const probes = layoutProbes(env(LP64), "nested");
    expect(probes.map((p) => p.path)).toEqual(["", "c", "inner", "inner.a", "inner.b", "arr", "arr[1]", "lng"]);
    expect(probes.find((p) => p.path === "arr[1]")!.offset).toBe(26);
  });
});
