// Core's root is contracts only: a program (or a browser bundle) that never
// touches dependency injection imports it without reflect-metadata. Only the
// /compose subpath loads tsyringe, which refuses to load without the polyfill;
// that refusal is the control showing the first check could fail.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs `source` as an ES module in a fresh Node process with nothing preloaded (from the repo root, so `@handoff/*` resolves to the built packages). */
function fresh(source: string) {
  return spawnSync(process.execPath, ["--input-type=module", "-e", source], { cwd: ROOT, encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_OPTIONS: "" } });
}

describe("@handoff/core without reflect-metadata", () => {
  it("the root imports and works: contracts, errors, bits, the memory map", () => {
    const r = fresh(`
      const core = await import("@handoff/core");
      if (typeof Reflect.getMetadata === "function") throw new Error("reflect-metadata was loaded");
      const map = core.MemoryMap.of([{ start: 0n, size: 0x1000n, type: "ram" }]);
      console.log(core.hex(map.ranges[0].size), typeof core.defineArchitecture, typeof core.ArchitectureRegistry);
    `);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // DI names are not at the root any more: they are @handoff/core/compose's.
    expect(r.stdout.trim()).toBe("0x1000 undefined undefined");
  });

  it("the /compose subpath needs it (tsyringe refuses to load without the polyfill)", () => {
    const r = fresh(`await import("@handoff/core/compose");`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/reflect polyfill/);
    const withPolyfill = fresh(`await import("reflect-metadata"); const c = await import("@handoff/core/compose"); console.log(typeof c.defineArchitecture);`);
    expect(withPolyfill.stderr).toBe("");
    expect(withPolyfill.stdout.trim()).toBe("function");
  });
});
