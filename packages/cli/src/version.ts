import { readFileSync } from "node:fs";

// The single-file build defines this (esbuild `define`); the tsc build reads package.json beside dist/.
declare const __HANDOFF_VERSION__: string | undefined;

function versionFromPackageJson(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name?: string; version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** `handoff --version`: the @handoff/cli version. */
export const VERSION: string = typeof __HANDOFF_VERSION__ === "string" ? __HANDOFF_VERSION__ : versionFromPackageJson();
