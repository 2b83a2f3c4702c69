import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./helpers.js";

const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

describe("installing only @handoff/core, @handoff/cli (with its @handoff/qemu and @handoff/xen) and @handoff/arm64, then a third-party plugin", () => {
  const work = mkdtempSync(join(tmpdir(), "handoff-install-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("packs, installs into a fresh project and lists arm64 alone", () => {
    const packed = JSON.parse(
      // @handoff/qemu and @handoff/xen are dependencies of the CLI (boot, hypercall), not arch plugins.
      npm(["pack", "--json", "--pack-destination", work, "-w", "@handoff/core", "-w", "@handoff/cli", "-w", "@handoff/qemu", "-w", "@handoff/xen", "-w", "@handoff/arm64"], REPO_ROOT),
    ) as { filename: string }[];
    expect(packed).toHaveLength(5);
    const project = join(work, "project");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    npm(["install", "--no-audit", "--no-fund", ...packed.map((p) => join(work, p.filename))], project);
    const r = runCli(["archs", "--json"], { cwd: project, bin: join(project, "node_modules/@handoff/cli/dist/bin.js") });
    expect(r.stderr).toBe("");
    const { architectures } = JSON.parse(r.stdout) as { architectures: { id: string }[] };
    expect(architectures.map((a) => a.id)).toEqual(["arm64"]);

    // A third-party plugin, installed later, appears with no configuration.
    const [example] = JSON.parse(npm(["pack", "--json", "--pack-destination", work, "./examples/riscv64-plugin"], REPO_ROOT)) as { filename: string }[];
    npm(["install", "--no-audit", "--no-fund", join(work, example!.filename)], project);
    const again = runCli(["archs", "--json"], { cwd: project, bin: join(project, "node_modules/@handoff/cli/dist/bin.js") });
    expect(again.stderr).toBe("");
    expect((JSON.parse(again.stdout) as { architectures: { id: string }[] }).architectures.map((a) => a.id)).toEqual(["arm64", "riscv64"]);
  }, 300_000);
});
