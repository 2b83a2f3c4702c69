import { arm64KexecEntry, buildArm64Stub, ARM64_HANDOFF_STUB } from "@handoff/arm64";
import { describe, expect, it } from "vitest";
import { itAssemblesCommittedStub } from "@handoff/test-support/stubs";

describe("arm64 kexec entry state", () => {
  const s = arm64KexecEntry({ dtb: 0x48000000n, entry: 0x40480000n });
  it("defines x0, pc, PSTATE (DAIF masked, EL1h) and SCTLR with MMU/caches off; the rest is forced zero", () => {
    expect(s.registers.get("x0")).toBe(0x48000000n);
    expect(s.registers.get("pstate")).toBe(0x3c5n);
    expect(s.registers.get("sctlr_el1") & 0b1_0000_0000_0101n).toBe(0n);
    expect(s.provenanceOf("x0")).toMatchObject({ kind: "protocol", clause: expect.stringContaining("booting.rst") });
    for (let i = 1; i <= 30; i++) {
      expect(s.registers.get(`x${i}`)).toBe(0n);
      expect(s.provenanceOf(`x${i}`).kind).toBe("forced-zero");
    }
    expect(s.provenanceOf("sp").kind).toBe("forced-zero");
  });
  it("EL2 entry uses EL2h and the EL2 system registers", () => {
    const e2 = arm64KexecEntry({ dtb: 0x48000000n, entry: 0x40480000n, el: 2 });
    expect(e2.registers.get("pstate")).toBe(0x3c9n);
    expect(e2.registers.get("elr_el2")).toBe(0x40480000n);
    expect(e2.registers.get("elr_el1")).toBe(0n);
    expect(e2.registers.get("sctlr_el2")).toBe(0x30c50830n);
    expect(e2.registers.get("sctlr_el1")).toBe(0x30d00800n);
  });
  it("refuses a misaligned DTB", () => {
    expect(() => arm64KexecEntry({ dtb: 0x48000004n, entry: 0n })).toThrow(/8-byte/);
  });
});

describe("arm64 stub data block", () => {
  it("carries every register of the state at its symbol's offset", () => {
    const s = arm64KexecEntry({ dtb: 0x48000000n, entry: 0x40480000n });
    const stub = buildArm64Stub(s, { head: 0x41010002n, maxSteps: 40n });
    const v = new DataView(stub.bytes.buffer);
    const at = (sym: string) => ARM64_HANDOFF_STUB.symbols[sym as keyof typeof ARM64_HANDOFF_STUB.symbols];
    expect(v.getBigUint64(at("hd_list_head"), true)).toBe(0x41010002n);
    expect(v.getBigUint64(at("hd_entry"), true)).toBe(0x40480000n);
    expect(v.getBigUint64(at("hd_regs"), true)).toBe(0x48000000n);
    expect(v.getBigUint64(at("hd_pstate"), true)).toBe(0x3c5n);
    expect(at("hd_mmu_ttbr") - at("hd_regs")).toBe(31 * 8);
    // Without tables the check runs with the MMU off: the stub finds hd_mmu_ttbr 0.
    expect(v.getBigUint64(at("hd_mmu_ttbr"), true)).toBe(0n);
    // The segment check's table ends the data block; its scratch follows on a page of its own.
    expect(at("hd_verify_regions_end")).toBe(at("hd_end"));
    expect(stub.bytes.length).toBeGreaterThan(Math.ceil(at("hd_end") / 4096) * 4096);
  });
  itAssemblesCommittedStub("arm64", "aarch64-linux-gnu-as");
});
