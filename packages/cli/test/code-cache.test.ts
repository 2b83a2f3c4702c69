/**
 * The npm bin, bin/handoff.cjs: it runs the single file dist/handoff.cjs with
 * the V8 code cache the build saved (dist/handoff.cjs.cache), and only when the
 * cache's SHA-256 header covers these bytes. V8 itself checks no more than the
 * source's length, so a same-length edit of the bundle must not run stale
 * cached code; a damaged or missing cache must only cost the compile.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { installToyPlugin, runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";
import { pvhElf } from "@handoff/test-support/elf-fixtures";

const PACKAGE = fileURLToPath(new URL("../", import.meta.url));

describe("the bin runs the single file with its code cache", () => {
  const work = tempDir("handoff-code-cache-");
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const install = (name: string) => {
    const root = join(work, name);
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "dist"), { recursive: true });
    for (const f of ["bin/handoff.cjs", "dist/handoff.cjs", "dist/handoff.cjs.cache"]) copyFileSync(join(PACKAGE, f), join(root, f));
    return root;
  };
  const run = (root: string, args: string[]) => spawnSync(process.execPath, [join(root, "bin/handoff.cjs"), ...args], { cwd: root, encoding: "utf8", env: { ...process.env, HANDOFF_DEBUG: "" } });
  /** Whether V8 took the cache, asked of a plain `node` (the flags the build ran with). */
  const cacheUsed = (root: string) => {
    const probe = `process.stdout.write(String(require(${JSON.stringify(join(root, "bin/handoff.cjs"))}).compileSingleFile().cacheUsed))`;
    return spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" }).stdout;
  };
  const archsJson = runCli(["archs", "--json"]).stdout;

  it("uses the cache the build wrote, and answers as the unbundled CLI does", () => {
    const root = install("as-built");
    expect(cacheUsed(root)).toBe("true");
    const r = run(root, ["archs", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(archsJson);
  });

  it("runs a command the cache was not made with (plan), through lazily compiled code", () => {
    const root = install("plan");
    const kernel = join(root, "flat");
    writeFileSync(kernel, new Uint8Array(0x3000).fill(0x1f));
    const args = ["plan", "--arch", "arm64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x4020_0000", "--page-tables", "default", "--json"];
    const r = run(root, args);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(runCli(args, { cwd: root }).stdout);
  });

  it("ignores a cache whose bytes were damaged: compiles from source, same answer", () => {
    const root = install("damaged");
    const cache = readFileSync(join(root, "dist/handoff.cjs.cache"));
    cache[cache.length >> 1]! ^= 0x40;
    writeFileSync(join(root, "dist/handoff.cjs.cache"), cache);
    expect(cacheUsed(root)).toBe("false");
    expect(run(root, ["archs", "--json"]).stdout).toBe(archsJson);
  });

  it("ignores the cache after a same-length edit of the bundle: the new bytes run", () => {
    const root = install("edited");
    const file = join(root, "dist/handoff.cjs");
    const text = readFileSync(file, "utf8");
    const version = (JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")) as { version: string }).version;
    const edited = version.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    expect(text.split(JSON.stringify(version)).length).toBe(2); // the version occurs once, as esbuild's define put it
    writeFileSync(file, text.replace(JSON.stringify(version), JSON.stringify(edited)));
    expect(readFileSync(file).length).toBe(Buffer.byteLength(text));
    expect(cacheUsed(root)).toBe("false");
    expect(run(root, ["--version"]).stdout.trim()).toBe(edited);
  });

  it("a checkout that was never built: one line naming the missing file and what to run, exit 70, no stack trace", () => {
    const root = install("unbuilt");
    rmSync(join(root, "dist"), { recursive: true });
    const r = run(root, ["archs"]);
    expect(r.status).toBe(70);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`handoff: ${join(root, "dist/handoff.cjs")} is missing: this checkout is not built (run 'npm run build')\n`);
  });

  it("runs without a cache (not shipped)", () => {
    const root = install("none");
    rmSync(join(root, "dist/handoff.cjs.cache"));
    expect(cacheUsed(root)).toBe("false");
    expect(run(root, ["archs", "--json"]).stdout).toBe(archsJson);
  });

  it("imports a third-party plugin from disk through Node's loader, and inspects an image", () => {
    const root = install("plugin");
    installToyPlugin(root);
    const r = run(root, ["archs", "--json"]);
    expect(r.stderr).toBe("");
    expect((JSON.parse(r.stdout) as { architectures: { id: string }[] }).architectures.map((a) => a.id)).toEqual(["arm32", "arm64", "toy", "x86_32", "x86_64"]);
    const elf = join(root, "pvh.elf");
    writeFileSync(elf, pvhElf({ elfClass: 64, endian: "little" }).bytes);
    expect((JSON.parse(run(root, ["inspect", elf, "--json"]).stdout) as { format: string }).format).toMatch(/ELF/);
  });
});
