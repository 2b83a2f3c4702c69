import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
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

describe.skipIf(!haveArm64)("QemuMachine lifecycle", () => {
  it("waits for a serial marker the guest prints", async () => {
    // aarch64: mov x1,#0x09000000; adr x2,msg; 1: ldrb w3,[x2],#1; cbz w3,2f; str w3,[x1]; b 1b; 2: b 2b; msg: "handoff-serial-ok\n"
    const blob = join(dir, "hello.bin");
    writeFileSync(blob, Buffer.from("0120a1d2c20000104314403863000034230000b9fdffff170000001468616e646f66662d73657269616c2d6f6b0a00", "hex"));
    const chunks: string[] = [];
    await withQemu({ arch: "arm64", blobs: [{ file: blob, addr: 0x40200000n }], entry: 0x40200000n, onSerial: (s) => chunks.push(s) }, async (m) => {
      expect(await m.waitForSerial("handoff-serial-ok", 20_000)).toContain("handoff-serial-ok\n");
      await expect(m.waitForSerial("never printed", 300)).rejects.toThrow(/not seen after 300 ms/);
    });
    expect(chunks.join("")).toBe("handoff-serial-ok\n");
  }, 60_000);

  it("a process that exits without killing its QEMU still takes QEMU with it (exit hook)", () => {
    const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `import "reflect-metadata"; import { QemuMachine } from ${JSON.stringify(dist)};
      const m = await QemuMachine.start({ arch: "arm64", paused: true });
      console.log(m.pid); process.exit(0);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = spawnSync("kill", ["-0", String(pid)]).status === 0 && !/Z/.test(spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout);
      if (alive) spawnSync("sleep", ["0.1"]);
    }
    expect(alive).toBe(false);
  }, 60_000);
});

describe.skipIf(!haveArm64)("QemuMachine signal hook", () => {
  it("SIGTERM to a process holding a QEMU kills that QEMU and still ends the process", async () => {
    const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `import "reflect-metadata"; import { QemuMachine } from ${JSON.stringify(dist)};
      const m = await QemuMachine.start({ arch: "arm64", paused: true });
      console.log(m.pid); setInterval(() => {}, 1000);`;
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    expect(spawnSync("kill", ["-0", String(pid)]).status).toBe(0);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_c, sig) => resolve(sig)));
    child.kill("SIGTERM");
    expect(await exited).toBe("SIGTERM");
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = spawnSync("kill", ["-0", String(pid)]).status === 0 && !/Z/.test(spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout);
      if (alive) await new Promise((r) => setTimeout(r, 100));
    }
    expect(alive).toBe(false);
  }, 60_000);
});

describe("QemuMachine start failures", () => {
  it("a missing binary is a QemuError, not a hang", async () => {
    await expect(QemuMachine.start({ arch: "arm64", binary: "/nonexistent/qemu-system-none" })).rejects.toBeInstanceOf(QemuError);
  });
  it.skipIf(!haveArm64)("QEMU refusing its arguments is a QemuError with its stderr", async () => {
    await expect(QemuMachine.start({ arch: "arm64", machine: "no-such-machine" })).rejects.toThrow(/no-such-machine|unsupported machine/i);
  });
});
