import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SET_MARKER, writeDirectorySet, type SetFile, type WritePiece } from "@handoff/node";
import { tempDirPerTest } from "@handoff/test-support";
import { rejection } from "./support.js";

const NODE_DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const dir = tempDirPerTest("set-");

/** A set whose every byte says which writer wrote it, so a mixed set is visible. */
function taggedSet(tag: number, sizes: readonly number[] = [3 * 4096, 5000, 1]): SetFile[] {
  return sizes.map((n, i) => ({ name: `f${i}.bin`, source: new Uint8Array(n).fill(tag) }));
}

/** The tag of the set in `target`; throws if the set is partial or mixed. */
function tagOf(target: string): number {
  const names = (JSON.parse(readFileSync(join(target, SET_MARKER), "utf8")) as { files: string[] }).files;
  expect(readdirSync(target).sort()).toEqual([SET_MARKER, ...names].sort());
  const tags = new Set(names.flatMap((n) => [...new Set(readFileSync(join(target, n)))]));
  if (tags.size !== 1) throw new Error(`mixed set in ${target}: tags ${[...tags].join(", ")}`);
  return [...tags][0]!;
}

describe("writeDirectorySet", () => {
  it("writes a set, then replaces it whole; nothing but the target is left beside it", async () => {
    const target = join(dir(), "out");
    const r = await writeDirectorySet(target, taggedSet(1));
    expect(r.files).toEqual(["f0.bin", "f1.bin", "f2.bin"]);
    expect(tagOf(target)).toBe(1);
    await writeDirectorySet(target, taggedSet(2, [10, 20]));
    expect(tagOf(target)).toBe(2);
    expect(readdirSync(target)).not.toContain("f2.bin"); // the old set is gone, not merged
    expect(readdirSync(dir())).toEqual(["out"]);
  });

  it("a writer that fails mid-set (a full disk, a bad source) leaves the previous set and no temporary directory", async () => {
    const target = join(dir(), "out");
    await writeDirectorySet(target, taggedSet(7));
    async function* failing(): AsyncGenerator<WritePiece> {
      yield new Uint8Array(4096).fill(8);
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }
    const e = await rejection(writeDirectorySet(target, [...taggedSet(8), { name: "big", source: failing() }]));
    expect(e.path).toBe(target);
    expect(e.message).toContain("no space left on device");
    expect(tagOf(target)).toBe(7);
    expect(readdirSync(dir())).toEqual(["out"]);
  });

  it("refuses to replace a directory it did not write, a symlink, a regular file, or bad member names", async () => {
    const mine = join(dir(), "home");
    mkdirSync(mine);
    writeFileSync(join(mine, "thesis.tex"), "precious");
    expect((await rejection(writeDirectorySet(mine, taggedSet(1)))).problem).toBe("not-ours");
    expect(readFileSync(join(mine, "thesis.tex"), "utf8")).toBe("precious");
    const link = join(dir(), "link");
    symlinkSync(mine, link);
    expect((await rejection(writeDirectorySet(link, taggedSet(1)))).problem).toBe("symlink");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const file = join(dir(), "file");
    writeFileSync(file, "x");
    expect((await rejection(writeDirectorySet(file, taggedSet(1)))).problem).toBe("not-regular");
    for (const name of ["", ".", "..", "a/b", SET_MARKER]) {
      expect((await rejection(writeDirectorySet(join(dir(), "n"), [{ name, source: "x" }]))).message).toContain("not a plain file name");
    }
    expect((await rejection(writeDirectorySet(join(dir(), "n"), [{ name: "a", source: "x" }, { name: "a", source: "y" }]))).message).toContain("twice");
    const empty = join(dir(), "empty");
    mkdirSync(empty);
    await writeDirectorySet(empty, taggedSet(3));
    expect(tagOf(empty)).toBe(3);
  });

  it("concurrent writers in one process: the target always ends as one whole set", async () => {
    const target = join(dir(), "out");
    const writers = Array.from({ length: 8 }, (_, i) => writeDirectorySet(target, taggedSet(i + 1, [64 * 1024, 3000, 17 + i])));
    await Promise.all(writers);
    expect(tagOf(target)).toBeGreaterThanOrEqual(1);
    expect(readdirSync(dir())).toEqual(["out"]);
  });

  it("concurrent writer processes, and a SIGKILLed writer: never a mixed or partial set; the dead writer's leftovers are removed by the next", async () => {
    if (!existsSync(NODE_DIST)) throw new Error(`${NODE_DIST} is missing: build first (npx tsc -b)`);
    const target = join(dir(), "out");
    const writer = (tag: number, slow: boolean) => `
      await import("reflect-metadata"); // @handoff/core composes services with tsyringe at import
      const { writeDirectorySet } = await import(${JSON.stringify(NODE_DIST)});
      async function* body() {
        for (let i = 0; i < 16; i++) {
          yield new Uint8Array(256 * 1024).fill(${tag});
          if (${slow} && i === 2) console.log("writing");
          if (${slow} && i >= 2) await new Promise((r) => setTimeout(r, 1000));
          else await new Promise((r) => setImmediate(r));
        }
      }
      await writeDirectorySet(${JSON.stringify(target)}, [
        { name: "kernel", source: body() },
        { name: "plan.json", source: new Uint8Array(100).fill(${tag}) },
      ]);
    `;
    const run = (tag: number, slow = false) => {
      const proc = spawn(process.execPath, ["--input-type=module", "-e", writer(tag, slow)], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
      return { proc, exit, stderr: () => stderr };
    };
    const racers = [1, 2, 3, 4].map((t) => run(t));
    for (const r of racers) expect(await r.exit, r.stderr()).toEqual({ code: 0, signal: null });
    const winner = tagOf(target);
    expect([1, 2, 3, 4]).toContain(winner);
    expect(readdirSync(dir())).toEqual(["out"]);

    const victim = run(9, true);
    await new Promise<void>((resolve, reject) => {
      victim.proc.stdout.on("data", (d: Buffer) => d.toString().includes("writing") && resolve());
      void victim.exit.then(() => reject(new Error(`writer exited before it was mid-set: ${victim.stderr()}`)));
    });
    victim.proc.kill("SIGKILL");
    expect((await victim.exit).signal).toBe("SIGKILL");
    expect(tagOf(target)).toBe(winner);
    const stale = readdirSync(dir()).filter((n) => n !== "out");
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatch(new RegExp(`^\\.out\\.handoff-set-${victim.proc.pid}-[0-9a-f]{12}$`));

    await writeDirectorySet(target, [{ name: "kernel", source: new Uint8Array(10).fill(5) }]);
    expect(tagOf(target)).toBe(5);
    expect(readdirSync(dir())).toEqual(["out"]);
  });
});
