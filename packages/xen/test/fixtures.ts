import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Path of a real kernel fixture (`../shared/fixtures/kernels` beside the repo; HANDOFF_FIXTURES overrides), or undefined after a loud skip. */
export function kernelFixture(name: string): string | undefined {
  const dir = process.env.HANDOFF_FIXTURES ?? join(REPO_ROOT, "..", "shared", "fixtures", "kernels");
  const path = join(dir, name);
  if (existsSync(path)) return path;
  if (process.env.CI === "true") throw new Error(`fixture ${path} is missing (CI=true)`);
  console.warn(`SKIPPING: kernel fixture ${path} is missing (set HANDOFF_FIXTURES)`);
  return undefined;
}
