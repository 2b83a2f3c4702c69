#!/usr/bin/env node
// Entry of the single-file CLI (dist/handoff.mjs, built by scripts/bundle.mjs):
// the four built-in architectures are compiled in, each behind its own dynamic
// import, so a command evaluates only the one it is asked for.
import "reflect-metadata";
import * as core from "@handoff/core";
import * as tsyringe from "tsyringe";
import { runAsProcess } from "./process-entry.js";
import { shareModulesWithPlugins } from "./shared-modules.js";

await runAsProcess({
  builtins: {
    "@handoff/arm32": () => import("@handoff/arm32"),
    "@handoff/arm64": () => import("@handoff/arm64"),
    "@handoff/x86_32": () => import("@handoff/x86_32"),
    "@handoff/x86_64": () => import("@handoff/x86_64"),
  },
  // Third-party plugins import tsyringe and @handoff/core themselves: they get this file's copies.
  beforeImportFromDisk: () => shareModulesWithPlugins({ tsyringe, "@handoff/core": core, "reflect-metadata": {} }),
});
