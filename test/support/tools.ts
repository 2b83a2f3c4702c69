import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURE_KERNELS = fileURLToPath(new URL("../../../shared/fixtures/kernels/", import.meta.url));
export const IN_CI = process.env.CI === "true";

/**
 * True when `command` runs. Missing locally: a loud warning and the caller skips.
 * Missing under CI=true: an error, because CI must never skip what it promises.
 */
export function requireTool(command: string, debianPackage: string, probeArgs: readonly string[] = ["--version"]): boolean {
  const ok = spawnSync(command, [...probeArgs], { stdio: "ignore" }).status === 0;
  if (ok) return true;
  if (IN_CI) throw new Error(`${command} is required under CI (Debian package ${debianPackage}, see .ci/debian-packages)`);
  console.warn(`\n*** SKIPPING tests that need ${command}: not installed (apt-get install ${debianPackage}) ***\n`);
  return false;
}

/** Path of a fixture kernel, or undefined (loudly; an error under CI) when absent. */
export function fixtureKernel(name: string): string | undefined {
  const path = `${FIXTURE_KERNELS}${name}`;
  if (existsSync(path)) return path;
  if (IN_CI) throw new Error(`fixture kernel ${path} is missing (CI clones the repo with shared/ beside it)`);
  console.warn(`\n*** SKIPPING tests on ${name}: ${path} not found ***\n`);
  return undefined;
}

export const KERNELS = {
  x86_64: "x86_64-bzImage-6.1.0-56-cloud-amd64",
  x86_32: "x86_32-bzImage-6.1.0-50-686",
  arm64: "arm64-Image-6.1.0-50-cloud-arm64",
  arm32: "arm32-zImage-6.1.0-50-armmp",
} as const;
