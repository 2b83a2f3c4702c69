import { requireTool } from "../../../test/support/tools.js";
export { requireTool };
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Arm32Architecture, ARM32_REGISTERS } from "@handoff/arm32";
import { Arm64Architecture, ARM64_REGISTERS } from "@handoff/arm64";
import { X86_32Architecture, X86_32_REGISTERS } from "@handoff/x86_32";
import { X86_64Architecture, X86_64_REGISTERS } from "@handoff/x86_64";

/** The arch packages' own register models: the parser fills their register files. */
export const ARCHS = {
  arm64: new Arm64Architecture(ARM64_REGISTERS),
  arm32: new Arm32Architecture(ARM32_REGISTERS),
  x86_32: new X86_32Architecture(X86_32_REGISTERS),
  x86_64: new X86_64Architecture(X86_64_REGISTERS),
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
