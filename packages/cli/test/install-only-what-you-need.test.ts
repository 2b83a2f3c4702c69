import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./helpers.js";

const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

describe("installing only @handoff/core, @handoff/cli (with its @handoff/qemu, @handoff/xen and @handoff/node) and @handoff/arm64 (with @handoff/arm), then a third-party plugin", () => {
  const work = mkdtempSync(join(tmpdir(), "handoff-install-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("packs, installs into a fresh project and lists arm64 alone", () => {
    const packed = JSON.parse(
      // @handoff/qemu and @handoff/xen are dependencies of the CLI (boot, hypercall), not arch plugins.
      npm(["pack", "--json", "--pack-destination", work, "-w", "@handoff/core", "-w", "@handoff/cli", "-w", "@handoff/qemu", "-w", "@handoff/xen", "-w", "@handoff/node", "-w", "@handoff/arm", "-w", "@handoff/arm64"], REPO_ROOT),
    ) as { filename: string }[];
    expect(packed).toHaveLength(7);
    const project = join(work, "project");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    npm(["install", "--no-audit", "--no-fund", ...packed.map((p) => join(work, p.filename))], project);
    const r = runCli(["archs", "--json"], { cwd: project, bin: join(project, "node_modules/@handoff/cli/dist/bin.js") });
    expect(r.stderr).toBe("");
    const { architectures } = JSON.parse(r.stdout) as { architectures: { id: string }[] };
    expect(architectures.map((a) => a.id)).toEqual(["arm64"]);

    // The main job works with arm64 alone: a plan for a relocatable flat kernel at a 2 MiB base.
    const kernel = join(work, "flat-kernel");
    writeFileSync(kernel, new Uint8Array(0x3000).fill(0x1f));
    const plan = runCli(["plan", "--arch", "arm64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x40200000", "--cmdline", "console=ttyAMA0", "--page-tables", "default", "--json"], { cwd: project, bin: join(project, "node_modules/@handoff/cli/dist/bin.js") });
    expect(plan.stderr).toBe("");
    const planned = JSON.parse(plan.stdout) as { arch: string; segments: { role: string; mem: string }[]; pageTables: { format: string } };
    expect(planned.arch).toBe("arm64");
    expect(planned.segments.find((s) => s.role === "kernel")?.mem).toBe("0x40200000");
    expect(planned.pageTables.format).toBe("arm64-4k-48");
    // Another arch is simply not there.
    const x86 = runCli(["plan", "--arch", "x86_64", "--kernel", kernel], { cwd: project, bin: join(project, "node_modules/@handoff/cli/dist/bin.js") });
    expect(x86.code).toBe(1);
    expect(x86.stderr).toMatch(/architecture 'x86_64' is not installed \(installed: arm64\)/);

    // A third-party plugin, installed later, appears with no configuration.
    const [example] = JSON.parse(npm(["pack", "--json", "--pack-destination", work, "./examples/riscv64-plugin"], REPO_ROOT)) as { filename: string }[];
    npm(["install", "--no-audit", "--no-fund", join(work, example!.filename)], project);
    const again = runCli(["archs", "--json"], { cwd: project, bin: join(project, "node_modules/@handoff/cli/dist/bin.js") });
    expect(again.stderr).toBe("");
    expect((JSON.parse(again.stdout) as { architectures: { id: string }[] }).architectures.map((a) => a.id)).toEqual(["arm64", "riscv64"]);
  }, 300_000);
});
