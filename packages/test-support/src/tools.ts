import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is packages/test-support/src/tools.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The real-kernel fixtures: HANDOFF_FIXTURES, else `shared/fixtures/kernels` beside the
 * repository (as CI clones it) or one level further up (a git worktree under the clone's parent).
 */
export function kernelFixturesDir(): string | undefined {
  if (process.env.HANDOFF_FIXTURES) return process.env.HANDOFF_FIXTURES;
  for (const up of ["..", "../.."]) {
    const dir = join(REPO_ROOT, up, "shared/fixtures/kernels");
    if (existsSync(dir)) return dir;
  }
  return undefined;
}
export const IN_CI = process.env.CI === "true";

/**
 * True when `command` is on PATH (or, with `probeArgs`, runs them successfully).
 * Missing locally: a loud warning and the caller skips. Missing under CI=true:
 * an error, because CI must never skip what it promises (.ci/debian-packages
 * lists what CI installs).
 */
export function requireTool(command: string, probeArgs?: readonly string[]): boolean {
  // Tests are not type-checked: refuse a stray string where the probe arguments go.
  if (probeArgs !== undefined && !Array.isArray(probeArgs)) throw new TypeError(`requireTool(${command}): probe arguments must be an array`);
  const ok = probeArgs
    ? spawnSync(command, [...probeArgs], { stdio: "ignore" }).status === 0
    : spawnSync("sh", ["-c", 'command -v "$1"', "sh", command], { stdio: "ignore" }).status === 0;
  if (ok) return true;
  if (IN_CI) throw new Error(`${command} is required under CI=true but is not installed (see .ci/debian-packages)`);
  console.warn(`\n*** SKIPPING tests that need ${command}: not installed (see .ci/debian-packages) ***\n`);
  return false;
}

/** readelf reads every ELF machine; the cross package's copy is what CI installs (.ci/debian-packages). */
export const READELF = "x86_64-linux-gnu-readelf";

/** Run a command; throw with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, [...args], { encoding: "utf8", cwd });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** Path of a fixture kernel, or undefined (loudly; an error under CI) when absent. */
export function fixtureKernel(name: string): string | undefined {
  const dir = kernelFixturesDir();
  const path = dir === undefined ? undefined : join(dir, name);
  if (path !== undefined && existsSync(path)) return path;
  const where = path ?? join(REPO_ROOT, "..", "shared/fixtures/kernels", name);
  if (IN_CI) throw new Error(`fixture kernel ${where} is missing (CI clones the repo with shared/ beside it; HANDOFF_FIXTURES overrides)`);
  console.warn(`\n*** SKIPPING tests on ${name}: ${where} not found (set HANDOFF_FIXTURES) ***\n`);
  return undefined;
}

/** A fixture path relative to the repo root, with the same skip/fail rule. */
export function requireFixture(relative: string): string | undefined {
  const path = join(REPO_ROOT, relative);
  if (existsSync(path)) return path;
  if (IN_CI) throw new Error(`fixture ${relative} is required under CI=true but is missing`);
  console.warn(`\n*** SKIPPING: fixture ${relative} is missing ***\n`);
  return undefined;
}

export const KERNELS = {
  x86_64: "x86_64-bzImage-6.1.0-56-cloud-amd64",
  x86_32: "x86_32-bzImage-6.1.0-50-686",
  arm64: "arm64-Image-6.1.0-50-cloud-arm64",
  arm32: "arm32-zImage-6.1.0-50-armmp",
} as const;

/** A file's bytes as a Uint8Array view (no copy). */
export function readFixture(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The Xen hypervisor images (`shared/fixtures/xen`): HANDOFF_XEN_FIXTURES, else beside the kernel fixtures. */
export function xenFixturesDir(): string | undefined {
  if (process.env.HANDOFF_XEN_FIXTURES) return process.env.HANDOFF_XEN_FIXTURES;
  const kernels = kernelFixturesDir();
  const dir = kernels ? join(kernels, "..", "xen") : undefined;
  return dir && existsSync(dir) ? dir : undefined;
}
