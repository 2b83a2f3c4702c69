import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { staticBusybox } from "@handoff/test-support/busybox";
import { KERNELS, REPO_ROOT, fixtureKernel, requireTool, tempDir } from "@handoff/test-support";

/**
 * Real Debian kernels booted through `handoff boot` (the built CLI): our stub
 * places kernel, initrd and boot data and enters the kernel; QEMU's own kernel
 * loader is not used. The same kernel is then booted with QEMU's `-kernel
 * -initrd -append` for comparison. Both must print the banner, exactly our
 * command line, the initramfs marker, and power off.
 */

const BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");
const BOOT_TIMEOUT_S = 150;

interface Run {
  readonly output: string;
  /** Milliseconds from spawn to the marker line (undefined when it never came). */
  readonly markerMs?: number;
  readonly code: number | null;
}

/**
 * Run a command to completion, noting when `marker` first appears on stdout
 * (or, with `serialFile`, in that file: QEMU writing its console to a file
 * never drops characters when the host is slow to read a pipe).
 */
function run(command: string, args: readonly string[], marker: string, timeoutMs: number, serialFile?: string): Promise<Run> {
  return new Promise((resolveRun) => {
    const start = Date.now();
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let markerMs: number | undefined;
    const fileText = () => (serialFile && existsSync(serialFile) ? readFileSync(serialFile, "latin1") : "");
    const seen = (text: string) => {
      if (markerMs === undefined && text.includes(marker)) markerMs = Date.now() - start;
    };
    const onData = (d: Buffer) => {
      output += d.toString("latin1");
      if (!serialFile) seen(output);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const poll = serialFile ? setInterval(() => seen(fileText()), 100) : undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      const serial = fileText();
      seen(serial);
      resolveRun({ output: serialFile ? serial + output : output, markerMs, code });
    });
  });
}

interface Case {
  readonly arch: keyof typeof KERNELS;
  readonly protocol: string;
  readonly console: string;
  readonly qemu: string;
  readonly qemuArgs: readonly string[];
  /** `--entry-mode` for handoff boot, and a line our boot must show because of it. */
  readonly entryMode?: string;
  readonly shows?: string;
}

const CASES: readonly Case[] = [
  { arch: "arm64", protocol: "linux", console: "ttyAMA0", qemu: "qemu-system-aarch64", qemuArgs: ["-M", "virt", "-cpu", "cortex-a57", "-m", "512M"] },
  { arch: "arm64", protocol: "linux", entryMode: "el2", shows: "CPU: All CPU(s) started at EL2", console: "ttyAMA0", qemu: "qemu-system-aarch64", qemuArgs: ["-M", "virt,virtualization=on", "-cpu", "cortex-a57", "-m", "512M"] },
  { arch: "x86_64", protocol: "linux64", console: "ttyS0", qemu: "qemu-system-x86_64", qemuArgs: ["-M", "pc", "-m", "512M"] },
  { arch: "x86_32", protocol: "linux32", console: "ttyS0", qemu: "qemu-system-i386", qemuArgs: ["-M", "pc", "-m", "512M"] },
  { arch: "arm32", protocol: "linux", console: "ttyAMA0", qemu: "qemu-system-arm", qemuArgs: ["-M", "virt", "-cpu", "cortex-a15", "-m", "512M"] },
];

const work = tempDir("handoff-linux-boot-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The lines every successful boot must show, in order. */
function expectBooted(output: string, cmdline: string, marker: string): void {
  expect(output).toMatch(/Linux version \d+\.\d+/);
  const reported = /Kernel command line: (.*)\r?\n/.exec(output);
  expect(reported?.[1]).toBe(cmdline);
  expect(output).toContain(`HANDOFF-MARKER: ${marker}`);
  expect(output).toContain("reboot: Power down");
  expect(output.indexOf("Linux version")).toBeLessThan(output.indexOf(`HANDOFF-MARKER: ${marker}`));
  expect(output.indexOf(`HANDOFF-MARKER: ${marker}`)).toBeLessThan(output.indexOf("reboot: Power down"));
}

describe("real Linux kernels boot through handoff's plan (QEMU's kernel loader bypassed)", () => {
  for (const c of CASES) {
    const name = `${c.arch} via ${c.protocol}${c.entryMode ? ` at ${c.entryMode}` : ""}`;
    it(name, async () => {
      if (!requireTool(c.qemu)) return;
      const kernel = fixtureKernel(KERNELS[c.arch]);
      const busybox = staticBusybox(c.arch);
      if (!kernel || !busybox) return;
      const initrd = join(work, `${c.arch}-${c.protocol}-${c.entryMode ?? ""}.cpio`);
      const made = await run(process.execPath, [BIN, "initramfs", "--busybox", busybox, "--out", initrd], "wrote", 60_000);
      expect(made.code, made.output).toBe(0);

      // A marker unique to this run, so a stale log can never pass.
      const marker = `${c.arch}-${c.protocol}-${process.pid}-${Date.now().toString(36)}`;
      const cmdline = `console=${c.console} handoff.marker=${marker}`;
      const ours = await run(
        process.execPath,
        [BIN, "boot", "--arch", c.arch, "--protocol", c.protocol, ...(c.entryMode ? ["--entry-mode", c.entryMode] : []), "--kernel", kernel, "--initrd", initrd, "--cmdline", cmdline, "--timeout", String(BOOT_TIMEOUT_S)],
        `HANDOFF-MARKER: ${marker}`,
        (BOOT_TIMEOUT_S + 30) * 1000,
      );
      expect(ours.code, ours.output.slice(-2000)).toBe(0);
      expectBooted(ours.output, cmdline, marker);
      if (c.shows) expect(ours.output).toContain(c.shows);

      const nativeMarker = `${marker}-qemu`;
      const nativeCmdline = `console=${c.console} handoff.marker=${nativeMarker}`;
      const nativeSerial = join(work, `${c.arch}-${c.protocol}-${c.entryMode ?? ""}-qemu-serial.log`);
      const native = await run(
        c.qemu,
        [...c.qemuArgs, "-accel", "tcg", "-display", "none", "-monitor", "none", "-serial", `file:${nativeSerial}`, "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", nativeCmdline],
        `HANDOFF-MARKER: ${nativeMarker}`,
        BOOT_TIMEOUT_S * 1000,
        nativeSerial,
      );
      expectBooted(native.output, nativeCmdline, nativeMarker);
      console.info(`${name}: marker after ${((ours.markerMs ?? NaN) / 1000).toFixed(1)} s through handoff boot, ${((native.markerMs ?? NaN) / 1000).toFixed(1)} s through QEMU's -kernel`);
    }, (2 * BOOT_TIMEOUT_S + 90) * 1000);
  }
});
