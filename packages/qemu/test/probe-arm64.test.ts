import { arm64KexecEntry, buildArm64Stub } from "@handoff/arm64";
import { compareRegisters, describeMismatches, withQemu } from "@handoff/qemu";
import { describe, expect, it } from "vitest";
import { blobFiles, expectSegmentsPlaced, planProbe, standardSegments } from "@handoff/test-support/probe-kit";
import { ARCHS } from "@handoff/test-support/archs";
import { requireTool } from "@handoff/test-support";

// QEMU's virt board: RAM at 0x40000000; with no -kernel, QEMU puts its DTB at the start of RAM.
const DTB = 0x40000000n;
const STUB = 0x41000000n;
const ENTRY = 0x40400000n;
const SPIN = Uint8Array.from([0x00, 0x00, 0x00, 0x14]); // b .

describe.skipIf(!requireTool("qemu-system-aarch64"))("arm64 probe: the stub reaches the promised kexec entry state on a real (TCG) CPU", () => {
  for (const el of [1, 2] as const) {
    it(`EL${el}: every register QEMU reports equals the state, destinations equal the segments`, async () => {
      const plan = planProbe({
        word: 8,
        segments: standardSegments(ENTRY, 0x40600000n, SPIN),
        stagingBase: 0x40800000n,
        listBase: 0x41010000n,
      });
      const state = arm64KexecEntry({ dtb: DTB, entry: ENTRY, el });
      const stub = buildArm64Stub(state, plan);
      const blobs = blobFiles([...plan.blobs, { addr: STUB, bytes: stub.bytes, what: "stub" }]);
      await withQemu(
        { arch: "arm64", blobs, entry: STUB, machine: el === 2 ? "virt,virtualization=on" : "virt", lifetimeMs: 30_000 },
        async (m) => {
          const observed = await m.waitForPc(ENTRY, ARCHS.arm64, 20_000);
          const rows = compareRegisters(state, observed);
          expect(rows.map((r) => r.name)).toEqual([...Array.from({ length: 31 }, (_, i) => `x${i}`), "sp", "pc", "pstate"]);
          expect(describeMismatches(rows)).toBe("");
          expect(observed.file.get("x0")).toBe(DTB);
          expect(observed.file.get("pstate")).toBe(el === 2 ? 0x3c9n : 0x3c5n);
          await expectSegmentsPlaced(m, plan);
        },
      );
    }, 60_000);
  }
});
