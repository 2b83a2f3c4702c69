import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./tools.js";

/** The `handoff` bin the CLI package ships (built by `npm run build`). */
export const BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");

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
