import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NewcArchive } from "@handoff/core/cpio";
import { ValidationError } from "@handoff/core";
import { tempDir } from "@handoff/test-support";

const hasCpio = spawnSync("cpio", ["--version"]).status === 0;
if (!hasCpio) {
  if (process.env.CI === "true") throw new Error("cpio is required under CI (Debian package cpio)");
  console.warn("\n*** SKIPPING cpio cross-checks: GNU cpio not installed (apt-get install cpio) ***\n");
}

function sample(): NewcArchive {
  return new NewcArchive()
    .directory("bin")
    .directory("dev")
    .file("bin/tool", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]), 0o755)
    .file("init", "#!/bin/sh\necho hi\n", 0o755)
    .symlink("bin/sh", "tool")
    .characterDevice("dev/console", 5, 1);
}

describe("newc cpio writer", () => {
  it("lays out headers, names and data on 4-byte boundaries and ends with the trailer", () => {
    const bytes = sample().toBytes();
    const text = Buffer.from(bytes).toString("latin1");
    expect(text.startsWith("070701")).toBe(true);
    expect(bytes.length % 4).toBe(0);
    expect(text).toContain("TRAILER!!!\0");
    // Every header starts on a 4-byte boundary.
    for (let at = text.indexOf("070701"); at >= 0; at = text.indexOf("070701", at + 1)) expect(at % 4).toBe(0);
  });

  it.skipIf(!hasCpio)("is read back by GNU cpio with the same names, modes, contents and devices", () => {
    const dir = tempDir("cpio-");
    try {
      const archive = join(dir, "a.cpio");
      writeFileSync(archive, sample().toBytes());
      const listing = execFileSync("cpio", ["-itv", "-F", archive], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(listing).toMatch(/^drwxr-xr-x .* bin$/m);
      expect(listing).toMatch(/^-rwxr-xr-x .* 7 .* bin\/tool$/m);
      expect(listing).toMatch(/^lrwxrwxrwx .* bin\/sh -> tool$/m);
      expect(listing).toMatch(/^crw------- .* 5, +1 .* dev\/console$/m);
      const out = join(dir, "x");
      execFileSync("sh", ["-c", `mkdir ${out} && cd ${out} && cpio -id --no-absolute-filenames -F ${archive} 2>/dev/null || true`]);
      expect(readFileSync(join(out, "init"), "utf8")).toBe("#!/bin/sh\necho hi\n");
      expect([...readFileSync(join(out, "bin/tool"))]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
      expect(statSync(join(out, "bin/tool")).mode & 0o777).toBe(0o755);
      expect(readlinkSync(join(out, "bin/sh"))).toBe("tool");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses paths that escape the root or repeat", () => {
    expect(() => new NewcArchive().file("../etc/passwd", "")).toThrow(ValidationError);
    expect(() => new NewcArchive().file("a//b", "")).toThrow(ValidationError);
    expect(() => new NewcArchive().file("a", "").file("/a", "")).toThrow(/added twice/);
  });
});
