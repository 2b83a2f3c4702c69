import { describe, expect, it } from "vitest";
import { C, RegisterHypercallAbi, clobberedBy, type CDataModel } from "@handoff/core/c-abi";
import { HypercallArgumentError, RegisterFile, UnknownRegisterError, UnknownRegisterValueError, ValidationError, type Hypercall, type HypercallConvention, type NarrowMode, type RegisterSpec } from "@handoff/core";

// A toy machine: four 64-bit registers with 32-bit zero-extending aliases.
const NAMES = ["n", "a", "b", "c"];
const SPECS: RegisterSpec[] = [
  ...NAMES.map((name): RegisterSpec => ({ name, width: 64, kind: "gpr" })),
  ...NAMES.map((name): RegisterSpec => ({ name: `${name}32`, width: 32, kind: "gpr", alias: { of: name, lsb: 0, onWrite: "zero-extend" } })),
];
const NARROW: NarrowMode = { id: "narrow", width: 32, registers: NAMES.map((w) => ({ narrow: `${w}32`, wide: w })), upperBitsUnknownAfterExecution: NAMES, source: "test" };
const DM: CDataModel = {
  id: "lp64", description: "", endianness: "little", charSigned: true, source: "test",
  types: { char: { size: 1, align: 1 }, short: { size: 2, align: 2 }, int: { size: 4, align: 4 }, long: { size: 8, align: 8 }, "long long": { size: 8, align: 8 }, pointer: { size: 8, align: 8 } },
};
const base = (over: Partial<HypercallConvention>): HypercallConvention => ({
  id: "wide", guestBits: 64, numberRegister: "n", argumentRegisters: ["a", "b", "c"], resultRegister: "a", alwaysClobbered: ["n"], clobbersUsedArguments: true,
  instructions: [], entryRule: "native", dataModel: DM, typedefs: { ulong_t: C.int("unsigned long") }, handleRepresentation: (t) => C.struct({ p: C.ptr(t) }), sources: [], ...over,
});
const narrowConv = (rule: "low-halves" | "zero-upper") =>
  base({ id: rule, guestBits: 32, numberRegister: "n32", argumentRegisters: ["a32", "b32", "c32"], resultRegister: "a32", alwaysClobbered: ["n32"], entryRule: rule, narrowMode: NARROW });
const file = () => new RegisterFile("toy", SPECS);
const abiWith = (rule: "low-halves" | "zero-upper") => new RegisterHypercallAbi("toy", "test", [base({}), narrowConv(rule)], file);

const CALL: Hypercall = {
  name: "op", number: 7,
  args: [{ name: "cmd", kind: "scalar", width: 32 }, { name: "ptr", kind: "handle" }, { name: "delta", kind: "scalar", width: 16, signed: true }],
};

describe("RegisterHypercallAbi", () => {
  it("encodes number and arguments, sign-extends signed values, lists buffers and clobbers", () => {
    const enc = abiWith("low-halves").encode(CALL, [5n, { address: 0x1000n, bytes: new Uint8Array([1, 2]) }, -1n]);
    expect([enc.registers.get("n"), enc.registers.get("a"), enc.registers.get("b"), enc.registers.get("c")]).toEqual([7n, 5n, 0x1000n, (1n << 64n) - 1n]);
    expect(enc.buffers).toEqual([{ address: 0x1000n, length: 2n, data: { kind: "bytes", bytes: new Uint8Array([1, 2]) }, label: "op.ptr" }]);
    expect(clobberedBy(enc.convention, 3).sort()).toEqual(["b", "c", "n"]);
    expect(clobberedBy(enc.convention, 1)).toEqual(["n"]);
  });

  it("refuses wrong argument counts, buffers for scalars and values beyond their width", () => {
    const abi = abiWith("low-halves");
    expect(() => abi.encode(CALL, [1n, 2n])).toThrow(/2 values for 3 arguments/);
    expect(() => abi.encode(CALL, [{ address: 1n }, 0n, 0n])).toThrow(/buffer was given for a scalar/);
    expect(() => abi.encode(CALL, [0n, 0n, 1n << 15n])).toThrow(HypercallArgumentError);
    expect(() => abi.encode(CALL, [0n, 0n, -(1n << 15n)])).not.toThrow();
    expect(() => abi.encode({ ...CALL, args: [...CALL.args, { name: "x", kind: "scalar", width: 8 }] }, [0n, 0n, 0n, 0n])).toThrow(/passes 3/);
    expect(() => abi.encode(CALL, [0n, 1n << 32n, 0n], { guestBits: 32 })).toThrow(/does not fit 32-bit/);
  });

  it("decodes natively: a narrow argument's upper bits are checked, signed arguments must be sign-extended", () => {
    const abi = abiWith("low-halves");
    const r = file().set("n", 7n).set("a", 5n).set("c", (1n << 64n) - 2n);
    const d = abi.decode(r, 64, () => CALL);
    expect(d.args.map((a) => a.value)).toEqual([5n, 0n, -2n]);
    r.set("c", 0xfffen);
    expect(() => abi.decode(r, 64, () => CALL)).toThrow(/delta/);
    r.set("c", 0n).set("a", 1n << 32n);
    expect(() => abi.decode(r, 64, () => CALL)).toThrow(/cmd/);
  });

  it("low-halves: upper halves ignored and left UNKNOWN; zero-upper: upper halves cleared before reading", () => {
    const r = file().set("n", 0xffff_0000_0000_0007n).set("a", 0x1_0000_0005n);
    r.afterNarrowExecution(NARROW);
    const low = abiWith("low-halves").decode(r, 32, () => CALL);
    expect([low.number, low.args[0]!.value]).toEqual([7n, 5n]);
    expect(() => low.entryRegisters.get("a")).toThrow(UnknownRegisterValueError);
    const zero = abiWith("zero-upper").decode(r, 32, () => CALL);
    expect(zero.entryRegisters.get("a")).toBe(5n);
    expect(zero.entryRegisters.get("n")).toBe(7n);
    expect(() => abiWith("zero-upper").decode(r, 64, () => CALL)).toThrow(UnknownRegisterValueError);
    expect(r.read("a").unknown).not.toBe(0n); // decode works on a copy
  });

  it("reports unknown numbers as raw arguments and validates its tables", () => {
    const d = abiWith("low-halves").decode(file().set("n", 99n).set("b", 3n), 64, () => undefined);
    expect(d.call).toBeUndefined();
    expect(d.args.map((a) => [a.register, a.value, a.kind])).toEqual([["a", 0n, "raw"], ["b", 3n, "raw"], ["c", 0n, "raw"]]);
    const badTable = new RegisterHypercallAbi("toy", "t", [base({ numberRegister: "zz" })], file);
    expect(() => badTable.encode(CALL, [0n, 0n, 0n])).toThrow(UnknownRegisterError); // checked on first use
    expect(() => badTable.decode(file(), 64)).toThrow(UnknownRegisterError);
    const narrowReg = new RegisterHypercallAbi("toy", "t", [base({ guestBits: 64, argumentRegisters: ["a32"] })], file);
    expect(() => narrowReg.decode(file(), 64)).toThrow(/narrower than the guest/);
    expect(() => new RegisterHypercallAbi("toy", "t", [], file)).toThrow(ValidationError);
    expect(() => new RegisterHypercallAbi("toy", "t", [base({ entryRule: "zero-upper" })], file)).toThrow(/narrow mode/);
    expect(() => abiWith("low-halves").decode(new RegisterFile("other", SPECS), 64)).toThrow(/register file is for other/);
    expect(abiWith("low-halves").types(32).layout("ulong_t").size).toBe(8);
  });

});
