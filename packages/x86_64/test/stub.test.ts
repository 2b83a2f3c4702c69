import { describe, expect, it } from "vitest";
import { BOOT_SELECTORS, buildHandoffGdt } from "@handoff/x86";
import { buildX86_64Stub, identityMap1GiB, kexec64Entry, linux64Entry, X86_64_HANDOFF_STUB } from "@handoff/x86_64";
import { itAssemblesCommittedStub } from "@handoff/test-support/stubs";

describe("x86_64 stub", () => {
  itAssemblesCommittedStub("x86_64", "x86_64-linux-gnu-as");
});

describe("x86_64 hand-off states", () => {
  const gdt = buildHandoffGdt(BOOT_SELECTORS, true);
  it("Linux 64-bit: rsi = boot_params, long mode, 64-bit CS; every other GPR forced zero", () => {
    const s = linux64Entry({ gdt, gdtBase: 0x100300n, cr3: 0x120000n, entry: 0x1000200n, bootParams: 0x90000n });
    const r = s.registers;
    expect([r.get("rsi"), r.get("cr0"), r.get("cr4"), r.get("efer"), r.get("cr3")]).toEqual([0x90000n, 0x80000011n, 0x20n, 0x500n, 0x120000n]);
    expect(r.get("cs_attr")).toBe(0xaf9bn);
    for (const g of ["rax", "rbx", "rcx", "rdx", "rdi", "rbp", "rsp", "r8", "r15", "fs_base", "gs_base", "kernel_gs_base"]) expect(s.provenanceOf(g).kind).toBe("forced-zero");
  });
  it("kexec: every GPR zero except rsp", () => {
    const s = kexec64Entry({ gdt, gdtBase: 0x100300n, cr3: 0x120000n, entry: 0x1000000n, rsp: 0x1ff000n });
    expect(s.registers.get("rsp")).toBe(0x1ff000n);
    expect(s.provenanceOf("rsp").kind).toBe("protocol");
    expect(s.provenanceOf("rsi").kind).toBe("forced-zero");
  });
  it("refuses a 32-bit code segment or CR3 above 4 GiB", () => {
    expect(() => linux64Entry({ gdt: buildHandoffGdt(BOOT_SELECTORS, false), gdtBase: 0n, cr3: 0x1000n, entry: 0n, bootParams: 0n })).toThrow(/64-bit/);
    expect(() => kexec64Entry({ gdt, gdtBase: 0n, cr3: 0x1_0000_0000n, entry: 0n, rsp: 0n })).toThrow(/CR3/);
  });
  it("identity tables map 2 MiB pages 1:1 over the first GiB", () => {
    const t = identityMap1GiB(0x120000n);
    const v = new DataView(t.bytes.buffer);
    expect(v.getBigUint64(0, true)).toBe(0x121003n);
    expect(v.getBigUint64(0x1000, true)).toBe(0x122003n);
    expect(v.getBigUint64(0x2000 + 511 * 8, true)).toBe((511n << 21n) | 0x83n);
  });
  it("the stub carries RIP, every GPR and CR3", () => {
    const s = linux64Entry({ gdt, gdtBase: 0x100300n, cr3: 0x120000n, entry: 0x1000200n, bootParams: 0x90000n });
    const stub = buildX86_64Stub(s, { head: 0x110002n, maxSteps: 7n }, gdt);
    const v = new DataView(stub.bytes.buffer);
    const sym = X86_64_HANDOFF_STUB.symbols;
    expect(v.getBigUint64(sym.hd_rip, true)).toBe(0x1000200n);
    expect(v.getBigUint64(sym.hd_rsi, true)).toBe(0x90000n);
    expect(v.getBigUint64(sym.hd_cr3, true)).toBe(0x120000n);
  });
});
