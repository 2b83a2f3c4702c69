import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, expectBooted, run } from "./boot-run.js";
import { staticBusybox } from "@handoff/test-support/busybox";
import { KERNELS, fixtureKernel, requireTool, tempDir } from "@handoff/test-support";

/**
 * Real Debian kernels booted through `handoff boot` (the built CLI): our stub
 * places kernel, initrd and boot data and enters the kernel; QEMU's own kernel
 * loader is not used. The same kernel is then booted with QEMU's `-kernel
 * -initrd -append` for comparison. Both must print the banner, exactly our
 * command line, the initramfs marker, and power off.
 */

const BOOT_TIMEOUT_S = 150;

interface Case {
  readonly arch: keyof typeof KERNELS;
  readonly protocol: string;
  readonly console: string;
  readonly qemu: string;
  readonly qemuArgs: readonly string[];
  /** `--entry-mode` for handoff boot, and a line our boot must show because of it. */
  readonly entryMode?: string;
  readonly shows?: string | RegExp;
  /** `--memory` for handoff boot (QEMU's `-m` in qemuArgs says the same); the default machine has 512 MiB. */
  readonly memory?: string;
  /** `--cpu` for handoff boot (QEMU's `-cpu` in qemuArgs says the same). */
  readonly cpu?: string;
}

/** What a 6 GiB machine's kernel must report: x86 -M pc splits at 3 GiB and puts the other 3 GiB from 4 GiB (pc_piix.c); arm64 virt has it all from 1 GiB. */
const SHOWS_6G = { x86: /BIOS-e820: \[mem 0x0000000100000000-0x00000001bfffffff\] usable/, arm64: /Memory: \d+K\/6291456K available/ } as const;

const CASES: readonly Case[] = [
  { arch: "arm64", protocol: "linux", console: "ttyAMA0", qemu: "qemu-system-aarch64", qemuArgs: ["-M", "virt", "-cpu", "cortex-a57", "-m", "512M"] },
  { arch: "arm64", protocol: "linux", entryMode: "el2", shows: "CPU: All CPU(s) started at EL2", console: "ttyAMA0", qemu: "qemu-system-aarch64", qemuArgs: ["-M", "virt,virtualization=on", "-cpu", "cortex-a57", "-m", "512M"] },
  { arch: "x86_64", protocol: "linux64", console: "ttyS0", qemu: "qemu-system-x86_64", qemuArgs: ["-M", "pc", "-m", "512M"] },
  // -cpu max has LA57: Linux 6.1's decompressor, entered with 4-level paging, reads the BIOS data area in page 0 and
  // builds its 5-level trampoline below 640 KiB before it has a page-fault handler (it triple-faulted at CR2=0x413
  // while handoff's identity tables mapped only the segments). TCG's max CPU names itself "QEMU TCG CPU".
  { arch: "x86_64", protocol: "linux64", cpu: "max", shows: /smpboot: CPU0: .*QEMU TCG CPU/, console: "ttyS0", qemu: "qemu-system-x86_64", qemuArgs: ["-M", "pc", "-cpu", "max", "-m", "512M"] },
  { arch: "x86_64", protocol: "linux64", memory: "6G", shows: SHOWS_6G.x86, console: "ttyS0", qemu: "qemu-system-x86_64", qemuArgs: ["-M", "pc", "-m", "6G"] },
  { arch: "arm64", protocol: "linux", memory: "6G", shows: SHOWS_6G.arm64, console: "ttyAMA0", qemu: "qemu-system-aarch64", qemuArgs: ["-M", "virt", "-cpu", "cortex-a57", "-m", "6G"] },
  { arch: "x86_32", protocol: "linux32", console: "ttyS0", qemu: "qemu-system-i386", qemuArgs: ["-M", "pc", "-m", "512M"] },
  { arch: "arm32", protocol: "linux", console: "ttyAMA0", qemu: "qemu-system-arm", qemuArgs: ["-M", "virt", "-cpu", "cortex-a15", "-m", "512M"] },
];

const work = tempDir("handoff-linux-boot-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("real Linux kernels boot through handoff's plan (QEMU's kernel loader bypassed)", () => {
  for (const c of CASES) {
    const name = `${c.arch} via ${c.protocol}${c.entryMode ? ` at ${c.entryMode}` : ""}${c.memory ? ` with ${c.memory}` : ""}${c.cpu ? ` on -cpu ${c.cpu}` : ""}`;
    it(name, async () => {
      if (!requireTool(c.qemu)) return;
      const kernel = fixtureKernel(KERNELS[c.arch]);
      const busybox = staticBusybox(c.arch);
      if (!kernel || !busybox) return;
      const tag = `${c.arch}-${c.protocol}-${c.entryMode ?? ""}-${c.memory ?? ""}-${c.cpu ?? ""}`;
      const initrd = join(work, `${tag}.cpio`);
      const made = await run(process.execPath, [BIN, "initramfs", "--busybox", busybox, "--out", initrd], "wrote", 60_000);
      expect(made.code, made.output).toBe(0);

      // A marker unique to this run, so a stale log can never pass.
      const marker = `${c.arch}-${c.protocol}-${process.pid}-${Date.now().toString(36)}`;
      const cmdline = `console=${c.console} handoff.marker=${marker}`;
      const ours = await run(
        process.execPath,
        [BIN, "boot", "--arch", c.arch, "--protocol", c.protocol, ...(c.entryMode ? ["--entry-mode", c.entryMode] : []), ...(c.memory ? ["--memory", c.memory] : []), ...(c.cpu ? ["--cpu", c.cpu] : []), "--kernel", kernel, "--initrd", initrd, "--cmdline", cmdline, "--timeout", String(BOOT_TIMEOUT_S)],
        `HANDOFF-MARKER: ${marker}`,
        (BOOT_TIMEOUT_S + 30) * 1000,
      );
      expect(ours.code, ours.output.slice(-2000)).toBe(0);
      expectBooted(ours.output, cmdline, marker);
      if (typeof c.shows === "string") expect(ours.output).toContain(c.shows);
      else if (c.shows) expect(ours.output).toMatch(c.shows);

      const nativeMarker = `${marker}-qemu`;
      const nativeCmdline = `console=${c.console} handoff.marker=${nativeMarker}`;
      const nativeSerial = join(work, `${tag}-qemu-serial.log`);
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
