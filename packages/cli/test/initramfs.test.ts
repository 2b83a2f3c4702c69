import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeElf } from "../../core/test/helpers/elf-writer.js";
import { runCli } from "./helpers.js";

/** A minimal static x86_64 executable: ET_EXEC, one PT_LOAD, no interpreter. */
const staticElf = (o: { machine?: number; type?: number; interp?: boolean } = {}) =>
  writeElf({
    elfClass: 64,
    endian: "little",
    machine: o.machine ?? 62,
    type: o.type ?? 2,
    entry: 0x400000n,
    segments: [{ type: 1, vaddr: 0x400000n, data: new Uint8Array(64) }, ...(o.interp ? [{ type: 3, vaddr: 0x400100n, data: new TextEncoder().encode("/lib64/ld-linux-x86-64.so.2\0") }] : [])],
  }).bytes;

const work = mkdtempSync(join(tmpdir(), "handoff-initramfs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("handoff initramfs", () => {
  it("wraps an ELF busybox in a newc archive with the marker /init", () => {
    const fake = join(work, "busybox");
    writeFileSync(fake, staticElf());
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

  it("refuses a busybox that is not a static executable of a known arch (issue 15), in one line", () => {
    for (const [name, bytes, reason] of [
      ["dynamic", staticElf({ interp: true }), /dynamically linked \(it has PT_INTERP\)/],
      ["mips", staticElf({ machine: 8 }), /not an architecture handoff knows/],
      ["pie", staticElf({ type: 3 }), /ET_DYN, not a static executable/],
      ["truncated", staticElf().slice(0, 40), /is not an ELF executable/],
    ] as const) {
      const f = join(work, `busybox-${name}`);
      writeFileSync(f, bytes);
      const r = runCli(["initramfs", "--busybox", f, "--out", join(work, `${name}.cpio`)]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(reason);
      expect(r.stderr.trim().split("\n"), name).toHaveLength(1);
    }
  });
});
