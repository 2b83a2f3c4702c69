import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QemuError, QemuMachine, QmpError, withQemu } from "@handoff/qemu";
import { describe, expect, it } from "vitest";
import { ARCHS, requireTool } from "./tools.js";

const dir = mkdtempSync(join(tmpdir(), "handoff-qemu-live-"));
const haveArm64 = requireTool("qemu-system-aarch64");

describe.skipIf(!haveArm64)("QemuMachine against a live qemu-system-aarch64", () => {
  it("reaches a `b .` placed by the generic loader, reads its registers and memory, and is killed", async () => {
    const blob = join(dir, "spin.bin");
    // `b .` then a recognisable word, so the memory read has something to check.
    writeFileSync(blob, Uint8Array.from([0x00, 0x00, 0x00, 0x14, 0xef, 0xbe, 0xad, 0xde]));
    let machine: QemuMachine | undefined;
    await withQemu({ arch: "arm64", blobs: [{ file: blob, addr: 0x40200000n }], entry: 0x40200000n }, async (m) => {
      machine = m;
      expect(m.qmp.version).toMatch(/^\d+\.\d+\.\d+$/);
      const regs = await m.waitForPc(0x40200000n, ARCHS.arm64, 20_000);
      expect(regs.file.get("pc")).toBe(0x40200000n);
      // The generic loader enters at EL1h with DAIF masked (PSTATE M=0b0101, DAIF=0xf).
      expect(regs.file.get("pstate") & 0x3cfn).toBe(0x3c5n);
      const mem = await m.readMemory(0x40200000n, 8);
      expect([...mem]).toEqual([0x00, 0x00, 0x00, 0x14, 0xef, 0xbe, 0xad, 0xde]);
      expect(await m.qmp.hmp("xp /2wx 0x40200000")).toMatch(/0x14000000 0xdeadbeef/);
      await expect(m.qmp.execute("no-such-command")).rejects.toBeInstanceOf(QmpError);
      expect((await m.qmp.status()).running).toBe(false);
    });
    expect(machine!.running).toBe(false);
  });

  it("kills QEMU when the body throws", async () => {
    let machine: QemuMachine | undefined;
    await expect(
      withQemu({ arch: "arm64", paused: true }, async (m) => {
        machine = m;
        throw new Error("body failed");
      }),
    ).rejects.toThrow("body failed");
    expect(machine!.running).toBe(false);
  });

  it("times out waiting for a PC the CPU never reaches, with a typed error", async () => {
    const blob = join(dir, "spin2.bin");
    writeFileSync(blob, Uint8Array.from([0x00, 0x00, 0x00, 0x14]));
    await withQemu({ arch: "arm64", blobs: [{ file: blob, addr: 0x40200000n }], entry: 0x40200000n }, async (m) => {
      await expect(m.waitForPc(0x40300000n, ARCHS.arm64, 1000)).rejects.toThrow(/still at pc=0x40200000/);
    });
  });
});

describe("QemuMachine start failures", () => {
  it("a missing binary is a QemuError, not a hang", async () => {
    await expect(QemuMachine.start({ arch: "arm64", binary: "/nonexistent/qemu-system-none" })).rejects.toBeInstanceOf(QemuError);
  });
  it.skipIf(!haveArm64)("QEMU refusing its arguments is a QemuError with its stderr", async () => {
    await expect(QemuMachine.start({ arch: "arm64", machine: "no-such-machine" })).rejects.toThrow(/no-such-machine|unsupported machine/i);
  });
});
