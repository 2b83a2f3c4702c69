import { spawnSync } from "node:child_process";

/**
 * True when `name` is on PATH. A missing tool is a loud skip locally and a
 * failure under CI=true, where every tool the tests use must be installed.
 */
export function requireTool(name: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
  if (found) return true;
  if (process.env.CI === "true") throw new Error(`required tool '${name}' is missing (CI must install it: .ci/debian-packages)`);
  console.warn(`SKIPPING: tool '${name}' is not installed`);
  return false;
}

/** Run a tool, failing the test with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, [...args], { encoding: "utf8", cwd });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** readelf reads every ELF machine; the cross package's copy is what CI installs (.ci/debian-packages). */
export const READELF = "x86_64-linux-gnu-readelf";
