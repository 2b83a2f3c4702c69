import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./tools.js";

/** The `handoff` bin the CLI package ships (built by `npm run build`). */
export const BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");

/** Run the built `handoff` binary the way a user does. */
export function runCli(args: readonly string[], options: { cwd?: string; bin?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, HANDOFF_DEBUG: "" },
    timeout: options.timeout ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A minimal architecture plugin with no imports. */
const TOY_PLUGIN = `export const plugin = { name: "handoff-arch-toy", provides: ["toy"], register(c) {
  c.register(Symbol.for("@handoff/core/Architecture"), { useValue: { id: "toy", displayName: "Toy", elfMachine: 9999, elfClass: 32, wordBits: 32,
    endianness: ["little"], pageSize: 4096n, registers: [], narrowMode: undefined, pageTableFormats: [], protocols: [], imageFormats: [],
    relocations: undefined, hypercallAbi: undefined, createRegisterFile() { throw new Error("unused"); } } }); } };`;

/** Install that toy plugin (architecture "toy", found by its `handoff-arch` keyword) as `root`/node_modules/handoff-arch-toy. */
export function installToyPlugin(root: string): void {
  const plugin = join(root, "node_modules", "handoff-arch-toy");
  mkdirSync(plugin, { recursive: true });
  writeFileSync(join(plugin, "package.json"), JSON.stringify({ name: "handoff-arch-toy", type: "module", main: "index.js", keywords: ["handoff-arch"] }));
  writeFileSync(join(plugin, "index.js"), TOY_PLUGIN);
}
