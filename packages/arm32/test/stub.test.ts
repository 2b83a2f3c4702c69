import { arm32KexecEntry, buildArm32Stub, ARM32_HANDOFF_STUB } from "@handoff/arm32";
import { describe, expect, it } from "vitest";
import { itAssemblesCommittedStub } from "@handoff/test-support/stubs";

describe("arm32 kexec entry state", () => {
  it("r0 = 0, r1 = machine (~0 for DT only), r2 = DTB, SVC with A/I/F masked; r3..r14 forced zero", () => {
    const s = arm32KexecEntry({ dtb: 0x48000000n, entry: 0x40008000n });
    expect([s.registers.get("r0"), s.registers.get("r1"), s.registers.get("r2"), s.registers.get("pc")]).toEqual([0n, 0xffffffffn, 0x48000000n, 0x40008000n]);
    expect(s.registers.get("cpsr")).toBe(0x1d3n);
    expect(s.provenanceOf("r0").kind).toBe("protocol");
    for (let i = 3; i <= 14; i++) expect(s.provenanceOf(`r${i}`).kind).toBe("forced-zero");
    expect(arm32KexecEntry({ dtb: 0n, entry: 0n, machine: 3138n }).registers.get("r1")).toBe(3138n);
  });
  it("HYP entry: CPSR HYP with A/I/F masked, ELR_hyp = entry, HSCTLR with MMU and caches off", () => {
    const s = arm32KexecEntry({ dtb: 0x48000000n, entry: 0x40008000n, mode: "hyp" });
    expect(s.registers.get("cpsr")).toBe(0x1dan);
    expect(s.registers.get("elr_hyp")).toBe(0x40008000n);
    expect(s.registers.get("hsctlr") & 0x1005n).toBe(0n);
    expect(s.registers.get("spsr_svc")).toBe(0n);
  });
  it("refuses a Thumb or misaligned entry and values wider than 32 bits", () => {
    expect(() => arm32KexecEntry({ dtb: 0n, entry: 0x40008001n })).toThrow(/word-aligned/);
    expect(() => arm32KexecEntry({ dtb: 0x1_0000_0000n, entry: 0n })).toThrow(/32 bits/);
  });
});

describe("arm32 stub data block", () => {
  it("carries R0..R15, CPSR and SCTLR at the symbols' offsets", () => {
    const s = arm32KexecEntry({ dtb: 0x48000000n, entry: 0x40008000n });
    const stub = buildArm32Stub(s, { head: 0x41010002n, maxSteps: 9n });
    const v = new DataView(stub.bytes.buffer);
    const at = (k: keyof typeof ARM32_HANDOFF_STUB.symbols) => ARM32_HANDOFF_STUB.symbols[k];
    expect(v.getUint32(at("hd_list_head"), true)).toBe(0x41010002);
    expect(v.getUint32(at("hd_regs") + 2 * 4, true)).toBe(0x48000000);
    expect(v.getUint32(at("hd_regs") + 15 * 4, true)).toBe(0x40008000);
    expect(v.getUint32(at("hd_cpsr"), true)).toBe(0x1d3);
    expect(at("hd_verify_uart") - at("hd_regs")).toBe(64);
    expect(at("hd_verify_regions_end")).toBe(at("hd_end"));
  });
  itAssemblesCommittedStub("arm32", "arm-linux-gnueabihf-as");
});
