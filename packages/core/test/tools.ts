import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * True when `tool` runs. Missing tools skip loudly locally and FAIL under
 * CI=true (the CI machine installs everything in .ci/debian-packages).
 */
export function requireTool(tool: string, args: readonly string[] = ["--version"]): boolean {
  const r = spawnSync(tool, [...args], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    if (process.env.CI === "true") throw new Error(`required tool '${tool}' is missing (CI=true): ${r.error?.message ?? r.stderr}`);
    console.warn(`SKIPPING: tool '${tool}' is not installed`);
    return false;
  }
  return true;
}

/** Run a command; throw with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, [...args], { encoding: "utf8", cwd });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** Assemble `source` with `as` (plus flags) and return the bytes of .text via `objcopy`. */
export function assemble(prefix: string, flags: readonly string[], source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "handoff-as-"));
  try {
    writeFileSync(join(dir, "x.s"), source);
    run(`${prefix}as`, [...flags, "-o", join(dir, "x.o"), join(dir, "x.s")]);
    run(`${prefix}objcopy`, ["-O", "binary", "-j", ".text", join(dir, "x.o"), join(dir, "x.bin")]);
    return new Uint8Array(readFileSync(join(dir, "x.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
