import { arm32KexecEntry, buildArm32Stub } from "@handoff/arm32";
import { compareRegisters, describeMismatches, withQemu } from "@handoff/qemu";
import { describe, expect, it } from "vitest";
import { blobFiles, expectSegmentsPlaced, planProbe, standardSegments } from "@handoff/test-support/probe-kit";
import { ARCHS } from "@handoff/test-support/archs";
import { requireTool } from "@handoff/test-support";

// QEMU's virt board: RAM at 0x40000000; with no -kernel, QEMU puts its DTB at the start of RAM.
const DTB = 0x40000000n;
const STUB = 0x41000000n;
const ENTRY = 0x40400000n;
const SPIN = Uint8Array.from([0xfe, 0xff, 0xff, 0xea]); // b .

describe.skipIf(!requireTool("qemu-system-arm"))("arm32 probe: the stub reaches the promised kexec entry state on a real (TCG) CPU", () => {
  for (const mode of ["svc", "hyp"] as const)
  it(`${mode.toUpperCase()}: R0..R15 and CPSR equal the state, destinations equal the segments`, async () => {
    const plan = planProbe({ word: 4, segments: standardSegments(ENTRY, 0x40600000n, SPIN), stagingBase: 0x40800000n, listBase: 0x41010000n });
    const state = arm32KexecEntry({ dtb: DTB, entry: ENTRY, mode });
    const stub = buildArm32Stub(state, plan);
    const blobs = blobFiles([...plan.blobs, { addr: STUB, bytes: stub.bytes, what: "stub" }]);
    await withQemu({ arch: "arm32", blobs, entry: STUB, machine: mode === "hyp" ? "virt,virtualization=on" : "virt", lifetimeMs: 30_000 }, async (m) => {
      const observed = await m.waitForPc(ENTRY, ARCHS.arm32, 20_000);
      const rows = compareRegisters(state, observed);
      expect(rows.map((r) => r.name)).toEqual([...Array.from({ length: 16 }, (_, i) => `r${i}`), "cpsr"]);
      expect(describeMismatches(rows)).toBe("");
      expect([observed.file.get("r0"), observed.file.get("r1"), observed.file.get("r2")]).toEqual([0n, 0xffffffffn, DTB]);
      expect(observed.file.get("cpsr")).toBe(mode === "hyp" ? 0x1dan : 0x1d3n);
      await expectSegmentsPlaced(m, plan);
    });
  }, 60_000);
});
