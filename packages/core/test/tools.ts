import { spawnSync } from "node:child_process";

/**
 * Whether an external tool (dtc, qemu-system-*) can be run. Missing locally:
 * warn loudly and return false so the caller skips. Missing under CI=true:
 * throw, because CI must never silently skip.
 */
export function requireTool(name: string, versionArg = "--version"): boolean {
  const r = spawnSync(name, [versionArg], { encoding: "utf8", timeout: 20_000 });
  if (!r.error && r.status === 0) return true;
  if (process.env.CI === "true") throw new Error(`tool ${name} is required under CI=true but cannot be run: ${r.error?.message ?? `exit ${r.status}`}`);
  console.warn(`SKIPPING: ${name} is not installed (Debian package list: .ci/debian-packages)`);
  return false;
}
