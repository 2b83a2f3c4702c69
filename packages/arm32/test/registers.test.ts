import { describe, expect, it } from "vitest";
import { RegisterWidthError, UnknownRegisterError } from "@handoff/core";
import { ARM32_REGISTERS, arm32Architecture } from "@handoff/arm32";

describe("arm32 register model", () => {
  const f = () => arm32Architecture.createRegisterFile();

  it("has R0..R15 at 32 bits with SP/LR/PC as their other names, and CPSR", () => {
    const r = f();
    for (let i = 0; i < 16; i++) expect(r.spec(`r${i}`).width).toBe(32);
    r.set("sp", 0x8000n).set("lr", 0x10n).set("pc", 0x4000_0000n);
    expect([r.get("r13"), r.get("r14"), r.get("r15")]).toEqual([0x8000n, 0x10n, 0x4000_0000n]);
    expect(r.spec("cpsr").width).toBe(32);
    expect(r.spec("ttbr0").width).toBe(64);
    expect(() => r.get("x0")).toThrow(UnknownRegisterError);
  });

  it("refuses 64-bit values in 32-bit registers (r1 = ~0 fits, ~0 as 64-bit does not)", () => {
    const r = f();
    r.set("r1", 0xffff_ffffn);
    expect(r.get("r1")).toBe(0xffff_ffffn);
    expect(() => r.set("r1", 0xffff_ffff_ffff_ffffn)).toThrow(RegisterWidthError);
    r.set("r1", -1n, { signed: true });
    expect(r.get("r1")).toBe(0xffff_ffffn);
  });

  it("has no narrow mode and is 32-bit in both ELF class and word", () => {
    const a = arm32Architecture;
    expect([a.narrowMode, a.elfClass, a.wordBits, a.elfMachine]).toEqual([undefined, 32, 32, 40]);
  });
});
