import { describe, expect, it } from "vitest";
import { RegisterWidthError, UnknownRegisterValueError, type Architecture } from "@handoff/core";
import { container } from "tsyringe";
import { COMPATIBILITY_MODE, x86_64Architecture, X86_64_REGISTERS, plugin } from "@handoff/x86_64";

function arch(): Architecture {
  return x86_64Architecture;
}

describe("x86_64 register model", () => {
  it("has the 16 GPRs at 64 bits and the hand-off control state", () => {
    const f = arch().createRegisterFile();
    for (const r of ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", ...Array.from({ length: 8 }, (_, i) => `r${i + 8}`)]) {
      expect(f.spec(r).width).toBe(64);
      expect(f.get(r)).toBe(0n);
    }
    for (const [r, w] of [["rip", 64], ["rflags", 64], ["cr0", 64], ["cr3", 64], ["cr4", 64], ["efer", 64], ["cs", 16], ["fs_base", 64], ["tr_limit", 32], ["gdtr_limit", 16]] as const) {
      expect(f.spec(r).width).toBe(w);
    }
  });

  it("zero-extends 32-bit writes (eax, r8d) and merges 16/8-bit writes (ax, ah, sil, r9b)", () => {
    const f = arch().createRegisterFile();
    f.set("rax", 0xffff_ffff_ffff_ffffn).set("eax", 0x1234n);
    expect(f.get("rax")).toBe(0x1234n);
    f.set("r8", 0xaaaa_bbbb_cccc_ddddn).set("r8d", 1n);
    expect(f.get("r8")).toBe(1n);
    f.set("rbx", 0xaaaa_bbbb_cccc_ddddn).set("bx", 0x1111n);
    expect(f.get("rbx")).toBe(0xaaaa_bbbb_cccc_1111n);
    f.set("bh", 0x22n);
    expect(f.get("rbx")).toBe(0xaaaa_bbbb_cccc_2211n);
    f.set("rsi", 0xffn << 56n).set("sil", 0x7fn);
    expect(f.get("rsi")).toBe((0xffn << 56n) | 0x7fn);
    f.set("r9", 0x100n).set("r9b", 0xffn);
    expect(f.get("r9")).toBe(0x1ffn);
  });

  it("holds canonical high-half addresses exactly", () => {
    const f = arch().createRegisterFile().set("rip", 0xffff_ffff_8020_0000n);
    expect(f.get("rip")).toBe(0xffff_ffff_8020_0000n);
    expect(f.get("eip")).toBe(0x8020_0000n);
  });

  it("refuses values wider than the register", () => {
    const f = arch().createRegisterFile();
    expect(() => f.set("eax", 0x1_0000_0000n)).toThrow(RegisterWidthError);
    expect(() => f.set("cs", 0x10000n)).toThrow(RegisterWidthError);
    expect(() => f.set("rax", 1n << 64n)).toThrow(RegisterWidthError);
  });

  it("after compatibility-mode execution the upper halves of all 16 GPRs are UNKNOWN", () => {
    const f = arch().createRegisterFile().set("rax", 0x1_0000_0002n).set("r15", 3n);
    f.afterNarrowExecution(COMPATIBILITY_MODE);
    expect(f.get("eax")).toBe(2n);
    expect(() => f.get("rax")).toThrow(UnknownRegisterValueError);
    expect(f.read("r15").unknown).toBe(0xffff_ffff_0000_0000n);
    expect(f.get("rip")).toBe(0n);
  });

  it("registers into a child container only", () => {
    const child = container.createChildContainer();
    plugin.register(child);
    const resolved = child.resolveAll<Architecture>(Symbol.for("@handoff/core/Architecture"));
    expect(resolved.map((a) => a.id)).toEqual(["x86_64"]);
    expect(resolved[0]!.registers).toBe(X86_64_REGISTERS);
    expect(container.isRegistered(Symbol.for("@handoff/core/Architecture"), false)).toBe(false);
  });
});
