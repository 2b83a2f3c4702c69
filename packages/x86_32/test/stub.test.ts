import { describe, expect, it } from "vitest";
import { BOOT_SELECTORS, VMM_SELECTORS, buildHandoffGdt } from "@handoff/x86";
import { buildX86_32Stub, linux32Entry, pvhEntry, X86_32_HANDOFF_STUB } from "@handoff/x86_32";
import { itAssemblesCommittedStub } from "@handoff/test-support/stubs";

describe("x86_32 stub", () => {
  itAssemblesCommittedStub("x86_32", "i686-linux-gnu-as");
});

describe("x86_32 hand-off states", () => {
  const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
  it("PVH: ebx = start info, CR0 = PE (+ET), CR4 = 0, flat segments, TR busy 32-bit TSS, EFLAGS = 2; the rest forced zero", () => {
    const s = pvhEntry({ gdt, gdtBase: 0x100200n, startInfo: 0x1f0000n, entry: 0x400000n });
    const r = s.registers;
    expect([r.get("ebx"), r.get("cr0"), r.get("cr4"), r.get("eflags")]).toEqual([0x1f0000n, 0x11n, 0n, 2n]);
    expect([r.get("cs"), r.get("cs_base"), r.get("cs_limit"), r.get("cs_attr")]).toEqual([0x10n, 0n, 0xffffffffn, 0xcf9bn]);
    expect([r.get("tr_base"), r.get("tr_limit"), r.get("tr_attr")]).toEqual([0n, 0x67n, 0x8bn]);
    for (const g of ["eax", "ecx", "edx", "esi", "edi", "ebp", "esp", "fs", "gs", "fs_base", "gs_attr", "cr3", "idtr_limit"]) {
      expect(r.get(g)).toBe(0n);
      expect(s.provenanceOf(g).kind).toBe("forced-zero");
    }
    expect(s.provenanceOf("ebx")).toMatchObject({ kind: "protocol", clause: expect.stringContaining("pvh.pandoc") });
  });
  it("Linux 32-bit: esi = boot_params, ebp/edi/ebx protocol zeros; VMM selectors as an option", () => {
    const s = linux32Entry({ gdt: buildHandoffGdt(VMM_SELECTORS, false), gdtBase: 0x100200n, bootParams: 0x90000n, entry: 0x100000n });
    expect(s.registers.get("esi")).toBe(0x90000n);
    expect(s.registers.get("cs")).toBe(0x08n);
    expect(s.registers.get("ds")).toBe(0x10n);
    expect(s.provenanceOf("ebp")).toMatchObject({ kind: "protocol", clause: expect.stringContaining("must be zero") });
  });
  it("the stub refuses a state whose CS is not the GDT's code selector", () => {
    const s = pvhEntry({ gdt, gdtBase: 0x100200n, startInfo: 0n, entry: 0n });
    expect(() => buildX86_32Stub(s, { head: 2n, maxSteps: 1n }, buildHandoffGdt(VMM_SELECTORS, false))).toThrow(/CS/);
    const longGdt = buildHandoffGdt(BOOT_SELECTORS, true); // same selectors, 64-bit code: caches differ
    expect(() => buildX86_32Stub(s, { head: 2n, maxSteps: 1n }, longGdt)).toThrow(/cs cache/);
    const stub = buildX86_32Stub(s, { head: 0x110002n, maxSteps: 7n }, gdt);
    const v = new DataView(stub.bytes.buffer);
    expect(v.getUint32(X86_32_HANDOFF_STUB.symbols.hd_list_head, true)).toBe(0x110002);
    expect(v.getUint16(X86_32_HANDOFF_STUB.symbols.hd_cs, true)).toBe(0x10);
    expect(v.getUint8(X86_32_HANDOFF_STUB.symbols.hd_cs - 5)).toBe(0xea); // the far jump those fields belong to
  });
});
