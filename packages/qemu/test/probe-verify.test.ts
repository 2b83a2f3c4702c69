import type { HandoffArtefact, HandoffArtefactBuilder } from "@handoff/core";
import { arm32ArtefactBuilder } from "@handoff/arm32";
import { arm64ArtefactBuilder } from "@handoff/arm64";
import { x86_32ArtefactBuilder } from "@handoff/x86_32";
import { x86_64ArtefactBuilder } from "@handoff/x86_64";
import { verifyFailure, withBootedArtefact } from "@handoff/qemu";
import { describe, expect, it } from "vitest";
import { ARCHS } from "@handoff/test-support/archs";
import { flipLoadedByte } from "@handoff/test-support/corrupt-artefact";
import { requireTool } from "@handoff/test-support";

/**
 * Issue 17 item 3: every stub checks each segment's SHA-256 before it enters.
 * The probe payload (two pages; the second staged in place, so it is loaded at
 * its destination) is planned, then one byte of it is flipped in the built
 * artefact: the stub must stop at hd_verify_fail with the region index in its
 * first register and a line on the serial port, never reaching the entry.
 * The same artefact unflipped reaches the entry, and with --no-verify the
 * flipped one does too (the check is what stopped it). The x86 PVH artefacts
 * (the IA-32 stub entered by QEMU's PVH path, on both widths) are checked the
 * same way.
 */
const CASES: readonly { arch: keyof typeof ARCHS; protocol: string; builder: HandoffArtefactBuilder; qemu: string; indexRegister: string }[] = [
  { arch: "arm64", protocol: "kexec", builder: arm64ArtefactBuilder, qemu: "qemu-system-aarch64", indexRegister: "x0" },
  { arch: "arm32", protocol: "kexec", builder: arm32ArtefactBuilder, qemu: "qemu-system-arm", indexRegister: "r0" },
  { arch: "x86_32", protocol: "kexec", builder: x86_32ArtefactBuilder, qemu: "qemu-system-i386", indexRegister: "eax" },
  { arch: "x86_64", protocol: "kexec", builder: x86_64ArtefactBuilder, qemu: "qemu-system-x86_64", indexRegister: "rax" },
  { arch: "x86_32", protocol: "pvh", builder: x86_32ArtefactBuilder, qemu: "qemu-system-i386", indexRegister: "eax" },
  { arch: "x86_64", protocol: "pvh", builder: x86_64ArtefactBuilder, qemu: "qemu-system-x86_64", indexRegister: "rax" },
];

const build = (c: (typeof CASES)[number], noVerify = false): HandoffArtefact => c.builder.build({ protocol: c.protocol, payload: c.builder.probePayload(), noVerify });

describe("the stub checks every segment's SHA-256 before it enters", () => {
  for (const c of CASES) {
    it.skipIf(!requireTool(c.qemu))(`${c.arch} ${c.protocol}: a flipped byte stops at hd_verify_fail, reported on the serial port; intact or --no-verify enters`, async () => {
      const intact = build(c);
      expect(intact.verify?.regions).toBe(1);
      await withBootedArtefact(intact, 30_000, async (m) => {
        await m.waitForPc(intact.entry, ARCHS[c.arch], 20_000, { failures: verifyFailure(intact) });
      });

      const corrupted = build(c);
      const flipped = flipLoadedByte(corrupted, corrupted.entry + 0x1000n + 0x123n);
      expect(flipped.file).toBeTruthy();
      await withBootedArtefact(corrupted, 30_000, async (m) => {
        await expect(m.waitForPc(corrupted.entry, ARCHS[c.arch], 20_000, { failures: verifyFailure(corrupted) })).rejects.toThrow(/segment check/);
        const at = await m.registers(ARCHS[c.arch]);
        const pc = c.arch.startsWith("x86") ? at.file.read(at.file.has("rip") ? "rip" : "eip").value : at.file.read("pc").value;
        expect(pc).toBe(corrupted.verify!.failPc);
        expect(at.file.read(c.indexRegister).value).toBe(0n);
        await m.waitForSerial("handoff: SHA-256 mismatch in segment 00", 5_000);
      });

      const unchecked = build(c, true);
      expect(unchecked.verify?.regions).toBe(0);
      flipLoadedByte(unchecked, unchecked.entry + 0x1000n + 0x123n);
      await withBootedArtefact(unchecked, 30_000, async (m) => {
        await m.waitForPc(unchecked.entry, ARCHS[c.arch], 20_000, { failures: verifyFailure(unchecked) });
      });
    }, 120_000);
  }
});
