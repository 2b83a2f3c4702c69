import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { WATCHDOG_WORKER_SOURCE } from "./watchdog.js";

describe("fuzz watchdog", () => {
  it("kills a process stuck in a synchronous loop and names the input", () => {
    // The same worker source the harness uses, driven by a parser that never returns.
    const child = `
      const { Worker } = require("node:worker_threads");
      const state = new Int32Array(new SharedArrayBuffer(12));
      const text = new Uint8Array(new SharedArrayBuffer(4096));
      const what = Buffer.from("endless-loop input #7");
      text.set(what); state[2] = what.length;
      new Worker(${JSON.stringify(WATCHDOG_WORKER_SOURCE)}, { eval: true, workerData: { state: state.buffer, text: text.buffer, hangMs: 300 } }).unref();
      setTimeout(() => { Atomics.store(state, 0, 1); Atomics.store(state, 1, 1); for (;;) {} }, 50);
    `;
    const r = spawnSync(process.execPath, ["-e", child], { encoding: "utf8", timeout: 20_000 });
    // spawnSync's own timeout would send SIGTERM: SIGKILL is the watchdog's.
    expect(r.signal).toBe("SIGKILL");
    expect(r.stderr).toMatch(/FUZZ HANG: one input ran longer than 300 ms: endless-loop input #7/);
  });
});
