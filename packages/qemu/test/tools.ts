import { requireTool } from "../../../test/support/tools.js";
export { requireTool };
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { arm32Architecture, ARM32_REGISTERS } from "@handoff/arm32";
import { arm64Architecture, ARM64_REGISTERS } from "@handoff/arm64";
import { x86_32Architecture, X86_32_REGISTERS } from "@handoff/x86_32";
import { x86_64Architecture, X86_64_REGISTERS } from "@handoff/x86_64";

/** The arch packages' own register models: the parser fills their register files. */
export const ARCHS = {
  arm64: arm64Architecture,
  arm32: arm32Architecture,
  x86_32: x86_32Architecture,
  x86_64: x86_64Architecture,
};

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));


/** A fixture path relative to the repo root, with the same skip/fail rule. */
export function requireFixture(relative: string): string | undefined {
  const path = fileURLToPath(new URL(relative, `file://${REPO_ROOT}`));
  if (existsSync(path)) return path;
  if (process.env.CI === "true") throw new Error(`fixture ${relative} is required under CI=true but is missing`);
  console.warn(`SKIPPING: fixture ${relative} is missing`);
  return undefined;
}
