import { describe, expect, it } from "vitest";
import { ARCHITECTURE, RegisterWidthError, UnknownRegisterError } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { container } from "tsyringe";
import { x86_32Architecture, X86_32_REGISTERS, plugin } from "@handoff/x86_32";

describe("x86_32 register model", () => {
  const f = () => x86_32Architecture.createRegisterFile();

  it("has 32-bit GPRs, EIP, EFLAGS and control registers, and no 64-bit GPRs", () => {
    const r = f();
    for (const name of ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags", "cr0", "cr3", "cr4", "cs_base", "gdtr_base"]) {
      expect(r.spec(name).width).toBe(32);
    }
    expect(r.spec("efer").width).toBe(64);
    expect(() => r.get("rax")).toThrow(UnknownRegisterError);
    expect(() => r.get("r8")).toThrow(UnknownRegisterError);
  });

  it("merges 16- and 8-bit writes into the 32-bit register", () => {
    const r = f().set("eax", 0xaabbccddn).set("ax", 0x1122n);
    expect(r.get("eax")).toBe(0xaabb1122n);
    r.set("ah", 0x33n).set("al", 0x44n);
    expect(r.get("eax")).toBe(0xaabb3344n);
    r.set("esp", 0xffff_ffffn).set("sp", 0n);
    expect(r.get("esp")).toBe(0xffff_0000n);
  });

  it("refuses 64-bit values in 32-bit registers", () => {
    expect(() => f().set("cr3", 0x1_0000_0000n)).toThrow(RegisterWidthError);
    expect(() => f().set("eflags", -1n)).toThrow(RegisterWidthError);
  });

  it("is found by ELF machine 3 in a registry built from a child container", () => {
    const child = container.createChildContainer();
    plugin.register(child);
    const reg = ArchitectureRegistry.fromContainer(child);
    expect(reg.byElfMachine(3)?.id).toBe("x86_32");
    expect(reg.get("x86_32").wordBits).toBe(32);
    expect(() => reg.get("x86_64")).toThrow(/not installed \(installed: x86_32\)/);
    expect(child.isRegistered(ARCHITECTURE)).toBe(true);
  });
});
