import { tempDir } from "./temp.js";
import { requireTool, run } from "./tools.js";
export { requireTool, run };
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";



/** Assemble `source` with `as` (plus flags) and return the bytes of .text via `objcopy`. */
export function assemble(prefix: string, flags: readonly string[], source: string): Uint8Array {
  const dir = tempDir("handoff-as-");
  try {
    writeFileSync(join(dir, "x.s"), source);
    run(`${prefix}as`, [...flags, "-o", join(dir, "x.o"), join(dir, "x.s")]);
    run(`${prefix}objcopy`, ["-O", "binary", "-j", ".text", join(dir, "x.o"), join(dir, "x.bin")]);
    return new Uint8Array(readFileSync(join(dir, "x.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
