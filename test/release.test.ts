import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { copyWorkingTree } from "./release/working-copy.js";
import { tempDir } from "@handoff/test-support";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const execFileAsync = promisify(execFile);

// Publishing for real (a local registry, install, a patch release) is test/release/registry.release.ts.
describe("release pipeline (dry run)", () => {
  const work = tempDir("handoff-release-");
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("changeset version on a core change bumps core and every dependent, with CHANGELOGs", () => {
    // A copy of the working tree, so the real tree is never versioned by a test.
    copyWorkingTree(work);
    // Only this change set, so the expected versions follow from the config alone.
    for (const f of readdirSync(join(work, ".changeset"))) if (f.endsWith(".md")) rmSync(join(work, ".changeset", f));
    writeFileSync(join(work, ".changeset/core-minor.md"), '---\n"@handoff/core": minor\n---\n\nA new core contract.\n');
    execFileSync(process.execPath, [join(ROOT, "node_modules/@changesets/cli/bin.js"), "version"], { cwd: work, stdio: "pipe" });
    const pkg = (dir: string) => JSON.parse(readFileSync(join(work, "packages", dir, "package.json"), "utf8"));
    const core = pkg("core");
    expect(core.version).toBe("0.2.0");
    for (const dep of ["x86", "x86_32", "x86_64", "arm32", "arm64", "xen", "cli"]) {
      const p = pkg(dep);
      expect(p.dependencies["@handoff/core"], dep).toBe("^0.2.0");
      expect(p.version, dep).toBe("0.1.1");
      expect(readFileSync(join(work, "packages", dep, "CHANGELOG.md"), "utf8")).toMatch(/@handoff\/core@0\.2\.0/);
    }
    expect(readFileSync(join(work, "packages/core/CHANGELOG.md"), "utf8")).toMatch(/## 0\.2\.0[\s\S]*A new core contract\./);
  }, 120_000);

  // Asynchronous, so the timeout can stop it: attw type-checks every subpath export of every
  // package, about a minute on an idle 2-core machine and several times that under load.
  it("every package passes publint and are-the-types-wrong as packed", async () => {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["scripts/check-packages.mjs"], { cwd: ROOT, encoding: "utf8" }).catch(
      (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
    );
    expect(stdout + stderr).toMatch(/ok {4}attw {5}@handoff\/core/);
    expect(stdout + stderr).not.toMatch(/FAIL/);
  }, 900_000);

  it("API documentation generates from doc comments with no undocumented public export (typedoc, warnings are errors)", async () => {
    const out = join(work, "api");
    const r = await execFileAsync(process.execPath, [join(ROOT, "node_modules/typedoc/bin/typedoc"), "--out", out], { cwd: ROOT, encoding: "utf8" }).then(
      ({ stdout, stderr }) => ({ output: stdout + stderr, status: 0 }),
      (e: { stdout?: string; stderr?: string; code?: number }) => ({ output: `${e.stdout ?? ""}${e.stderr ?? ""}`, status: e.code ?? 1 }),
    );
    expect(r.output).not.toMatch(/\[warning\]|\[error\]/);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, "index.html"))).toBe(true);
  }, 900_000);
});
