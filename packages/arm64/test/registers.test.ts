import { describe, expect, it } from "vitest";
import { RegisterWidthError, UnknownRegisterValueError } from "@handoff/core";
import { AARCH32_MODE, ARM64_REGISTERS, arm64Architecture } from "@handoff/arm64";

describe("arm64 register model", () => {
  const f = () => arm64Architecture.createRegisterFile();

  it("has X0..X30 at 64 bits, W aliases at 32, SP/PC/PSTATE and the EL1/EL2 system registers", () => {
    const r = f();
    for (let i = 0; i <= 30; i++) {
      expect(r.spec(`x${i}`).width).toBe(64);
      expect(r.spec(`w${i}`).alias?.of).toBe(`x${i}`);
    }
    expect(() => r.spec("x31")).toThrow(/no register named 'x31'/);
    for (const name of ["sp", "pc", "sctlr_el1", "sctlr_el2", "elr_el2", "spsr_el2", "hcr_el2", "ttbr0_el1", "mair_el1", "tcr_el1"]) {
      expect(r.spec(name).width).toBe(64);
    }
    expect(r.spec("pstate").width).toBe(32);
  });

  it("zero-extends W-register writes into X", () => {
    const r = f().set("x0", 0xffff_ffff_ffff_ffffn).set("w0", 0x8000_0000n);
    expect(r.get("x0")).toBe(0x8000_0000n);
    r.set("sp", 0xffff_0000_0000_1000n).set("wsp", 0x10n);
    expect(r.get("sp")).toBe(0x10n);
  });

  it("refuses values that do not fit", () => {
    expect(() => f().set("w3", 1n << 32n)).toThrow(RegisterWidthError);
    expect(() => f().set("pstate", 1n << 32n)).toThrow(RegisterWidthError);
  });

  it("after AArch32 execution the upper halves of X0..X30 are UNKNOWN; Xen-style zeroing makes them known", () => {
    const r = f().set("x5", 0x1234_5678_9abc_def0n).set("x30", 1n << 40n);
    r.afterNarrowExecution(AARCH32_MODE);
    expect(r.get("w5")).toBe(0x9abc_def0n);
    expect(() => r.get("x5")).toThrow(UnknownRegisterValueError);
    expect(r.isKnown("x30")).toBe(false);
    expect(r.isKnown("pc")).toBe(true);
    r.zeroUpperBits(AARCH32_MODE);
    expect(r.get("x5")).toBe(0x9abc_def0n);
    // zeroUpperBits covers only R0..R14's X registers; x30 stays UNKNOWN until written.
    expect(r.isKnown("x30")).toBe(false);
    r.set("w30", 0n);
    expect(r.get("x30")).toBe(0n);
  });
});
