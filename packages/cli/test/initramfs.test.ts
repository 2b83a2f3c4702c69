import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";

const work = tempDir("handoff-initramfs-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("handoff initramfs", () => {
  it("wraps an ELF busybox in a newc archive with the marker /init", () => {
    const fake = join(work, "busybox");
    writeFileSync(fake, Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    const out = join(work, "initrd.cpio");
    const r = runCli(["initramfs", "--busybox", fake, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const cpio = Buffer.from(readFileSync(out)).toString("latin1");
    expect(cpio.startsWith("070701")).toBe(true);
    expect(cpio).toContain("HANDOFF-MARKER: ");
    expect(cpio).toContain("bin/busybox");
    expect(cpio).toContain("TRAILER!!!");
  });

  it("refuses a file that is not ELF, and a missing one, in one line", () => {
    const text = join(work, "notelf");
    writeFileSync(text, "#!/bin/sh\n");
    const a = runCli(["initramfs", "--busybox", text, "--out", join(work, "x.cpio")]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^handoff: .*not an ELF executable.*\n$/);
    const b = runCli(["initramfs", "--busybox", join(work, "missing"), "--out", join(work, "y.cpio")]);
    expect(b.code).toBe(1);
    expect(b.stderr.trim().split("\n")).toHaveLength(1);
  });
});
