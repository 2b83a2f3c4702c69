import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { staticBusybox } from "@handoff/test-support/busybox";
import { fixtureKernel, requireTool, tempDir } from "@handoff/test-support";
import { BIN, expectBooted, run } from "./boot-run.js";

/**
 * Real kernels booted through handoff as the PVH loader: `--kernel
 * bzImage#payload` is the vmlinux inside the bzImage, its PT_LOADs placed by
 * our plan and entered at XEN_ELFNOTE_PHYS32_ENTRY with our hvm_start_info
 * (command line, initrd as module 0, memory map, RSDP). The same bzImage
 * through QEMU's own `-kernel` is the timing reference.
 */

const BOOT_TIMEOUT_S = 120;

const CASES: readonly { arch: "x86_64" | "x86_32"; kernel: string; qemu: string; memory: string; shows?: RegExp }[] = [
  { arch: "x86_64", kernel: "x86_64-bzImage-6.1.0-56-cloud-amd64", qemu: "qemu-system-x86_64", memory: "512M" },
  // 6 GiB: split at 3 GiB around the PCI hole, the rest from 4 GiB (QEMU pc_piix.c); our memmap must say so.
  { arch: "x86_64", kernel: "x86_64-bzImage-6.1.0-56-cloud-amd64", qemu: "qemu-system-x86_64", memory: "6G", shows: /BIOS-e820: \[mem 0x0000000100000000-0x00000001bfffffff\] usable/ },
  // Debian's 686-pae flavour has CONFIG_PVH=y (the 686 one has no PVH entry).
  { arch: "x86_32", kernel: "x86_32-bzImage-6.1.0-57-686-pae", qemu: "qemu-system-i386", memory: "512M" },
];

const work = tempDir("handoff-pvh-boot-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("real Linux kernels boot through handoff's PVH loader (the vmlinux inside the bzImage)", () => {
  for (const c of CASES) {
    it(`${c.arch} vmlinux via pvh with ${c.memory}`, async () => {
      if (!requireTool(c.qemu)) return;
      const kernel = fixtureKernel(c.kernel);
      const busybox = staticBusybox(c.arch);
      if (!kernel || !busybox) return;
      const initrd = join(work, `${c.arch}-${c.memory}.cpio`);
      const made = await run(process.execPath, [BIN, "initramfs", "--busybox", busybox, "--out", initrd], "wrote", 60_000);
      expect(made.code, made.output).toBe(0);

      const marker = `${c.arch}-pvh-${process.pid}-${Date.now().toString(36)}`;
      const cmdline = `console=ttyS0 handoff.marker=${marker}`;
      const ours = await run(process.execPath, [BIN, "boot", "--arch", c.arch, "--memory", c.memory, "--kernel", `${kernel}#payload`, "--initrd", initrd, "--cmdline", cmdline, "--timeout", String(BOOT_TIMEOUT_S)], `HANDOFF-MARKER: ${marker}`, (BOOT_TIMEOUT_S + 30) * 1000);
      expect(ours.code, ours.output.slice(-2000)).toBe(0);
      expectBooted(ours.output, cmdline, marker);
      // The kernel found the ACPI tables and unpacked our initrd (module 0).
      expect(ours.output).toMatch(/ACPI: RSDP 0x00000000000F5[0-9A-F]{3}/);
      expect(ours.output).toMatch(/Freeing initrd memory/);
      if (c.shows) expect(ours.output).toMatch(c.shows);

      const nativeMarker = `${marker}-qemu`;
      const nativeCmdline = `console=ttyS0 handoff.marker=${nativeMarker}`;
      const nativeSerial = join(work, `${c.arch}-${c.memory}-qemu-serial.log`);
      const native = await run(
        c.qemu,
        ["-M", "pc", "-m", c.memory, "-accel", "tcg", "-display", "none", "-monitor", "none", "-serial", `file:${nativeSerial}`, "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", nativeCmdline],
        `HANDOFF-MARKER: ${nativeMarker}`,
        BOOT_TIMEOUT_S * 1000,
        nativeSerial,
      );
      expectBooted(native.output, nativeCmdline, nativeMarker);
      console.info(`${c.arch} vmlinux via pvh with ${c.memory}: marker after ${((ours.markerMs ?? NaN) / 1000).toFixed(1)} s through handoff's PVH loader, ${((native.markerMs ?? NaN) / 1000).toFixed(1)} s through QEMU's -kernel (bzImage)`);
    }, (2 * BOOT_TIMEOUT_S + 90) * 1000);
  }
});
