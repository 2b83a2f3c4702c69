/**
 * Hang detection for synchronous parsers. A parser stuck in a loop never yields,
 * so no timer in its thread can fire; a worker thread watches a shared counter
 * instead and, when one input has been running longer than the bound, prints
 * that input to stderr and kills the process (the test run then fails).
 */
import { Worker } from "node:worker_threads";

export const WATCHDOG_WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const state = new Int32Array(workerData.state);
const text = new Uint8Array(workerData.text);
let lastSeq = -1, since = Date.now();
setInterval(() => {
  const seq = Atomics.load(state, 0), busy = Atomics.load(state, 1);
  if (seq !== lastSeq || !busy) { lastSeq = seq; since = Date.now(); return; }
  if (Date.now() - since > workerData.hangMs) {
    const len = Atomics.load(state, 2);
    const what = Buffer.from(text.subarray(0, len)).toString("utf8");
    fs.writeSync(2, "\\nFUZZ HANG: one input ran longer than " + workerData.hangMs + " ms: " + what + "\\n");
    process.kill(process.pid, "SIGKILL");
  }
}, 100);
`;

export class Watchdog {
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private readonly text = new Uint8Array(new SharedArrayBuffer(4096));
  private readonly worker: Worker;
  private seq = 0;

  constructor(readonly hangMs: number) {
    this.worker = new Worker(WATCHDOG_WORKER_SOURCE, { eval: true, workerData: { state: this.state.buffer, text: this.text.buffer, hangMs } });
    this.worker.unref();
  }

  /** Run `fn` on one input, described by `what` (printed if it hangs). */
  guard<T>(what: () => string, fn: () => T): T {
    const bytes = new TextEncoder().encode(what().slice(0, 2000));
    this.text.set(bytes.subarray(0, this.text.length));
    Atomics.store(this.state, 2, Math.min(bytes.length, this.text.length));
    Atomics.store(this.state, 0, ++this.seq);
    Atomics.store(this.state, 1, 1);
    try {
      return fn();
    } finally {
      Atomics.store(this.state, 1, 0);
    }
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
