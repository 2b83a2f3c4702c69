import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkOutputFile, writeFileAtomic } from "@handoff/node";
import { requireTool, tempDirPerTest } from "@handoff/test-support";
import { rejection } from "./support.js";

const dir = tempDirPerTest("out-");

describe("the output rule: only regular files are replaced", () => {
  it("a symlink at the output path is refused; the link and the file it names are untouched", async () => {
    const victim = join(dir(), "victim");
    writeFileSync(victim, "keep me");
    const link = join(dir(), "out");
    symlinkSync(victim, link);
    const e = await rejection(writeFileAtomic(link, "payload"));
    expect(e.problem).toBe("symlink");
    expect(e.path).toBe(link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
    expect(readdirSync(dir()).sort()).toEqual(["out", "victim"]);
  });

  it("a FIFO or a directory at the output path is refused and stays what it was", async () => {
    if (requireTool("mkfifo")) {
      const fifo = join(dir(), "fifo");
      execFileSync("mkfifo", [fifo]);
      expect((await rejection(writeFileAtomic(fifo, "x"))).message).toBe(`${fifo}: output: is a FIFO; handoff replaces only regular files`);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    }
    const sub = join(dir(), "sub");
    mkdirSync(sub);
    expect((await rejection(writeFileAtomic(sub, "x"))).problem).toBe("directory");
    expect(lstatSync(sub).isDirectory()).toBe(true);
  });

  it("device nodes are refused by the check every write makes (checked without writing: /dev/null, /dev/zero)", async () => {
    for (const dev of ["/dev/null", "/dev/zero"]) {
      const e = await rejection(checkOutputFile(dev));
      expect(e.message).toBe(`${dev}: output: is a character device; handoff replaces only regular files`);
    }
    expect(await checkOutputFile(join(dir(), "new"))).toBe(false);
    writeFileSync(join(dir(), "old"), "x");
    expect(await checkOutputFile(join(dir(), "old"))).toBe(true);
    await writeFileAtomic(join(dir(), "old"), "y");
    expect(readFileSync(join(dir(), "old"), "utf8")).toBe("y");
  });
});
