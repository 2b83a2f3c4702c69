// Entry of the single-file CLI (dist/handoff.cjs, built by scripts/bundle.mjs):
// the four built-in architectures are compiled in, each behind its own dynamic
// import, so a command evaluates only the one it is asked for.
import "reflect-metadata";
import * as core from "@handoff/core";
import * as tsyringe from "tsyringe";
import { runAsProcess } from "./process-entry.js";
import { shareModulesWithPlugins } from "./shared-modules.js";

/**
 * `import()` of a plugin from disk, as bin/handoff.cjs provides it (a parameter
 * of the function it wraps this file in): code V8 took from a code cache has no
 * dynamic-import callback. Run directly (`node handoff.cjs`), Node's own
 * `import()` works and this is undefined.
 */
declare const __handoffImport: ((url: string) => Promise<unknown>) | undefined;
const hostImport = typeof __handoffImport === "function" ? __handoffImport : (url: string) => import(url);

// No top-level await: the single file is CommonJS (see scripts/bundle.mjs). A rejection still ends the process with an error.
void runAsProcess({
  builtins: {
    "@handoff/arm32": () => import("@handoff/arm32"),
    "@handoff/arm64": () => import("@handoff/arm64"),
    "@handoff/x86_32": () => import("@handoff/x86_32"),
    "@handoff/x86_64": () => import("@handoff/x86_64"),
  },
  // Third-party plugins import tsyringe and @handoff/core themselves: they get this file's copies.
  importFromDisk: (url) => {
    shareModulesWithPlugins({ tsyringe, "@handoff/core": core, "reflect-metadata": {} });
    return hostImport(url);
  },
});
