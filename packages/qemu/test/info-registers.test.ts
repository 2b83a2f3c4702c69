import { readFileSync } from "node:fs";
import { parseInfoRegisters, RegisterDumpError } from "@handoff/qemu";
import { describe, expect, it } from "vitest";
import { ARCHS } from "@handoff/test-support/archs";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("parseInfoRegisters on dumps captured from QEMU 7.2", () => {
  it("arm64: X0..X30, SP, PC, PSTATE after the generic loader", () => {
    const r = parseInfoRegisters(fixture("arm64-el1-loader.txt"), ARCHS.arm64);
    expect(r.reported).toEqual([...Array.from({ length: 31 }, (_, i) => `x${i}`), "sp", "pc", "pstate"]);
    expect(r.file.get("pc")).toBe(0x40200000n);
    expect(r.file.get("pstate")).toBe(0x400003c5n);
    expect(r.file.get("x0")).toBe(0n);
  });

  it("arm32: R0..R15 and CPSR", () => {
    const r = parseInfoRegisters(fixture("arm32-svc-loader.txt"), ARCHS.arm32);
    expect(r.reported).toEqual([...Array.from({ length: 16 }, (_, i) => `r${i}`), "cpsr"]);
    expect(r.file.get("r15")).toBe(0x40200000n);
    expect(r.file.get("cpsr")).toBe(0x400001d3n);
    expect(r.file.get("pc")).toBe(0x40200000n);
  });

  it("x86_32: reset state, segment caches and descriptor tables", () => {
    const r = parseInfoRegisters(fixture("x86_32-reset.txt"), ARCHS.x86_32);
    const f = r.file;
    expect(f.get("edx")).toBe(0x663n);
    expect(f.get("eip")).toBe(0xfff0n);
    expect(f.get("eflags")).toBe(2n);
    expect([f.get("cs"), f.get("cs_base"), f.get("cs_limit"), f.get("cs_attr")]).toEqual([0xf000n, 0xffff0000n, 0xffffn, 0x9bn]);
    expect([f.get("ldtr_attr"), f.get("tr_attr")]).toEqual([0x82n, 0x8bn]);
    expect([f.get("gdtr_base"), f.get("gdtr_limit"), f.get("idtr_limit")]).toEqual([0n, 0xffffn, 0xffffn]);
    expect(f.get("cr0")).toBe(0x60000010n);
    expect(r.reported).toContain("efer");
    expect(r.reported).toHaveLength(8 + 2 + 8 * 4 + 4 + 4 + 1);
  });

  it("x86_64 outside long mode: low halves only, upper halves UNKNOWN, not claimed zero", () => {
    const r = parseInfoRegisters(fixture("x86_64-reset.txt"), ARCHS.x86_64);
    expect(r.file.get("edx")).toBe(0x60fb1n);
    expect(r.file.isKnown("rdx")).toBe(false);
    expect(r.file.read("rdx").unknown).toBe(0xffff_ffff_0000_0000n);
    expect(r.reported).not.toContain("r8");
  });

  it("x86_64 in long mode (a running Linux): 64-bit GPRs, R8..R15, 64-bit bases, EFER", () => {
    const f = parseInfoRegisters(fixture("x86_64-linux-running.txt"), ARCHS.x86_64).file;
    expect(f.get("r8")).toBe(0x302e30202020205bn);
    expect(f.get("rip")).toBe(0xffffffff89e01ef0n);
    expect([f.get("cs"), f.get("cs_attr")]).toEqual([0x10n, 0xaf9bn]);
    expect(f.get("gs_base")).toBe(0xffff8901c7a00000n);
    expect([f.get("tr"), f.get("tr_base"), f.get("tr_limit"), f.get("tr_attr")]).toEqual([0x40n, 0xfffffe0000003000n, 0x4087n, 0x89n]);
    expect(f.get("efer")).toBe(0xd01n);
    expect(f.get("cr3")).toBe(0x6210000n);
  });
});

describe("parseInfoRegisters on hostile or mismatched text", () => {
  it("names the missing field", () => {
    const text = fixture("arm64-el1-loader.txt").replace("X17=", "X17:");
    expect(() => parseInfoRegisters(text, ARCHS.arm64)).toThrow(RegisterDumpError);
    expect(() => parseInfoRegisters(text, ARCHS.arm64)).toThrow(/X17/);
  });

  it("refuses a 64-bit dump for a 32-bit file and a segment line that is cut", () => {
    expect(() => parseInfoRegisters(fixture("x86_64-linux-running.txt"), ARCHS.x86_32)).toThrow(/RAX/);
    const cut = fixture("x86_32-reset.txt").replace(/^TR =.*$/m, "TR =0000 00000000");
    expect(() => parseInfoRegisters(cut, ARCHS.x86_32)).toThrow(/TR/);
  });

  it("refuses a value wider than the register instead of truncating it", () => {
    const wide = fixture("arm32-svc-loader.txt").replace("R03=00000000", "R03=100000000");
    expect(() => parseInfoRegisters(wide, ARCHS.arm32)).toThrow(/does not fit/);
  });

  it("reads only CPU#0 of a multi-CPU dump", () => {
    const one = fixture("arm64-el1-loader.txt");
    const two = one + one.replace("CPU#0", "CPU#1").replace("PC=0000000040200000", "PC=0000000000000000");
    expect(parseInfoRegisters(two, ARCHS.arm64).file.get("pc")).toBe(0x40200000n);
  });
});
