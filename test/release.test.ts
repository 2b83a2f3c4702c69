import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { copyWorkingTree } from "./release/working-copy.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

// Publishing for real (a local registry, install, a patch release) is test/release/registry.release.ts.
describe("release pipeline (dry run)", () => {
  const work = mkdtempSync(join(tmpdir(), "handoff-release-"));
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

  it("every package passes publint and are-the-types-wrong as packed", () => {
    const out = execFileSync(process.execPath, ["scripts/check-packages.mjs"], { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    expect(out).toMatch(/ok {4}attw {5}@handoff\/core/);
    expect(out).not.toMatch(/FAIL/);
  }, 300_000);

  it("API documentation generates from doc comments with no undocumented public export (typedoc, warnings are errors)", () => {
    const out = join(work, "api");
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules/typedoc/bin/typedoc"), "--out", out], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout + r.stderr).not.toMatch(/\[warning\]|\[error\]/);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, "index.html"))).toBe(true);
  }, 300_000);
});
