import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** Run the built `handoff` binary the way a user does. */
export function runCli(args: readonly string[], options: { cwd?: string; bin?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, HANDOFF_DEBUG: "" },
    timeout: options.timeout ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The real-kernel fixtures: `../shared/fixtures/kernels` beside the repository
 * (as CI clones it), or one level further up (a git worktree under the clone's parent).
 */
export function kernelFixturesDir(): string | undefined {
  for (const up of ["..", "../.."]) {
    const dir = join(REPO_ROOT, up, "shared/fixtures/kernels");
    if (existsSync(dir)) return dir;
  }
  return undefined;
}
