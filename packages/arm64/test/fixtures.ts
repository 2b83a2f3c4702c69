import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Path of a real kernel in `../shared/fixtures/kernels/` (relative to the repo
 * root; a worktree one level deeper looks one directory further up). Missing
 * locally: warn loudly and return undefined (the caller skips). Missing under
 * CI=true: throw, because CI must never silently skip.
 */
export function kernelFixture(name: string): string | undefined {
  for (let dir = repoRoot, i = 0; i < 3; i++, dir = dirname(dir)) {
    const p = join(dir, "..", "shared", "fixtures", "kernels", name);
    if (existsSync(p)) return p;
  }
  if (process.env.CI === "true") throw new Error(`fixture ${name} is missing (../shared/fixtures/kernels) and CI=true`);
  console.warn(`SKIPPING: kernel fixture ${name} not found beside the repository (../shared/fixtures/kernels)`);
  return undefined;
}

export function readFixture(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
