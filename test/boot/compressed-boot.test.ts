import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compressedCopy, COMPRESSORS } from "../../packages/cli/test/images/support.js";
import { staticBusybox } from "../support/busybox.js";
import { KERNELS, REPO_ROOT, fixtureKernel, requireTool } from "../support/tools.js";

/**
 * Issue 18: the arm64 fixture booted as `Image.gz` and as `Image.zst` through
 * `handoff boot` (the built CLI; QEMU's kernel loader bypassed) to the
 * initramfs marker — the kernel handoff places is the one it inflated.
 */

const BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");
const BOOT_TIMEOUT_S = 150;
const work = mkdtempSync(join(tmpdir(), "handoff-compressed-boot-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("arm64 kernels compressed by gzip and zstd boot through handoff to the initramfs marker", () => {
  for (const ext of ["gz", "zst"] as const) {
    it(`Image.${ext}`, () => {
      const c = COMPRESSORS.find((x) => x.ext === ext)!;
      if (!requireTool("qemu-system-aarch64") || !requireTool(c.tool)) return;
      const kernel = fixtureKernel(KERNELS.arm64);
      const busybox = staticBusybox("arm64");
      if (!kernel || !busybox) return;
      const packed = compressedCopy(kernel, c);
      const initrd = join(work, `initrd-${ext}.cpio`);
      const made = spawnSync(process.execPath, [BIN, "initramfs", "--busybox", busybox, "--out", initrd], { encoding: "utf8" });
      expect(made.status, made.stderr).toBe(0);
      const marker = `arm64-${ext}-${process.pid}-${Date.now().toString(36)}`;
      const cmdline = `console=ttyAMA0 handoff.marker=${marker}`;
      const r = spawnSync(process.execPath, [BIN, "boot", "--arch", "arm64", "--kernel", packed, "--initrd", initrd, "--cmdline", cmdline, "--timeout", String(BOOT_TIMEOUT_S)], {
        encoding: "latin1",
        timeout: (BOOT_TIMEOUT_S + 60) * 1000,
        maxBuffer: 64 << 20,
      });
      const output = `${r.stdout}${r.stderr}`;
      expect(r.status, output.slice(-2000)).toBe(0);
      expect(output).toMatch(/Linux version \d+\.\d+/);
      expect(/Kernel command line: (.*)\r?\n/.exec(output)?.[1]).toBe(cmdline);
      expect(output).toContain(`HANDOFF-MARKER: ${marker}`);
      expect(output.indexOf(`HANDOFF-MARKER: ${marker}`)).toBeLessThan(output.indexOf("reboot: Power down"));
    }, (BOOT_TIMEOUT_S + 120) * 1000);
  }
});
