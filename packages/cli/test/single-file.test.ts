import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { pvhElf } from "@handoff/test-support/elf-fixtures";
import { installToyPlugin, runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";
import { fixtureKernel, requireTool } from "@handoff/test-support/tools";
import { COMPRESSORS, compressedCopy } from "@handoff/test-support/compressed-images";

const BUNDLE = fileURLToPath(new URL("../dist/handoff.cjs", import.meta.url));

/** No node_modules in `dir` or any ancestor: what the kexec VM image has. */
function noNodeModulesAbove(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules"))) return false;
    if (dirname(d) === d) return true;
  }
}

describe("the single-file CLI (dist/handoff.cjs) alone in an empty directory", () => {
  const work = tempDir("handoff-single-file-");
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const bin = join(work, "handoff.cjs");
  copyFileSync(BUNDLE, bin);
  const run = (args: string[]) => runCli(args, { bin, cwd: work });

  it("has nothing to import from: no node_modules anywhere above it", () => {
    expect(noNodeModulesAbove(work)).toBe(true);
  });

  it("lists the four built-in architectures", () => {
    const r = run(["archs", "--json"]);
    expect(r.stderr).toBe("");
    const { architectures } = JSON.parse(r.stdout) as { architectures: { id: string; protocols: string[] }[] };
    expect(architectures.map((a) => a.id)).toEqual(["arm32", "arm64", "x86_32", "x86_64"]);
  });

  it("inspects an image and plans a hand-off", () => {
    const elf = join(work, "pvh.elf");
    writeFileSync(elf, pvhElf({ elfClass: 64, endian: "little" }).bytes);
    const inspect = run(["inspect", elf, "--json"]);
    expect(inspect.stderr).toBe("");
    expect((JSON.parse(inspect.stdout) as { format: string }).format).toMatch(/ELF/);
    const kernel = join(work, "flat");
    writeFileSync(kernel, new Uint8Array(0x3000).fill(0x1f));
    const plan = run(["plan", "--arch", "arm64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x4020_0000", "--page-tables", "default", "--json"]);
    expect(plan.stderr).toBe("");
    const planned = JSON.parse(plan.stdout) as { arch: string; segments: { mem: string }[]; pageTables: { format: string } };
    expect([planned.arch, planned.segments[0]!.mem, planned.pageTables.format]).toEqual(["arm64", "0x40200000", "arm64-4k-48"]);
  });

  it("answers --version and --help like the unbundled CLI", () => {
    expect(run(["--version"]).stdout).toBe(runCli(["--version"]).stdout);
    expect(run(["plan", "--help"]).stdout).toBe(runCli(["plan", "--help"]).stdout);
  });

  // The bundle defers fflate, fzstd and noble's SHA-2 behind stand-ins that initialise
  // them on first use (scripts/bundle.mjs): each must still inflate exactly as the
  // unbundled CLI does. xz with a SHA-256 check reaches noble through the stand-in.
  // Alone, the single file finds no node_modules: zstd falls back from libzstd
  // (@handoff/node's native decoder) to core's, while the unbundled CLI uses it.
  const arm64 = fixtureKernel("arm64-Image-6.1.0-50-cloud-arm64");
  const lazyCodecs = [
    COMPRESSORS.find((c) => c.codec === "gzip")!,
    COMPRESSORS.find((c) => c.codec === "zstd")!,
    { codec: "xz", tool: "xz", args: ["-1", "-T1", "--check=sha256", "-c"], ext: "xz" },
  ] as const;
  for (const c of lazyCodecs) {
    it.skipIf(!arm64 || !requireTool(c.tool))(`inflates an arm64 Image.${c.ext} (${c.tool} ${c.args.join(" ")}) like the unbundled CLI`, () => {
      const packed = compressedCopy(arm64!, c as (typeof COMPRESSORS)[number]);
      const single = run(["inspect", packed, "--json"]);
      expect(single.stderr).toBe("");
      expect((JSON.parse(single.stdout) as { format: string }).format).toBe("arm64-Image");
      expect(single.stdout).toBe(runCli(["inspect", packed, "--json"]).stdout);
    }, 180_000); // the first run compresses the fixture (cached in .cache/compressed-kernels)
  }

  it("still discovers a third-party plugin installed beside it, by package.json", () => {
    installToyPlugin(work);
    try {
      const r = run(["archs", "--json"]);
      expect(r.stderr).toBe("");
      expect((JSON.parse(r.stdout) as { architectures: { id: string }[] }).architectures.map((a) => a.id)).toEqual(["arm32", "arm64", "toy", "x86_32", "x86_64"]);
    } finally {
      rmSync(join(work, "node_modules"), { recursive: true, force: true });
    }
  });
});
