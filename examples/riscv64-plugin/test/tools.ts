import { spawnSync } from "node:child_process";

/**
 * Whether `tool` is on PATH. Missing locally: a loud warning and the caller skips.
 * Missing under CI=true: a failure, never a skip.
 */
export function requireTool(tool: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).status === 0;
  if (found) return true;
  if (process.env.CI === "true") throw new Error(`${tool} is required under CI=true but is not installed`);
  console.warn(`SKIPPING: ${tool} is not installed (install it; CI fails without it)`);
  return false;
}
