/**
 * A second thread for segment digests.
 *
 * Each segment has its own digest, so segments can be hashed at once on two
 * cores. SHA-256 over one stream cannot be split, so the gain is the smaller
 * side's time: on the bench's x86_64 plan, the kernel's 51 MiB (its bytes,
 * then zeros up to init_size) against the initrd.
 *
 * Work is shared, not assigned: every file range posted here waits in the
 * thread's queue, largest first, and whoever claims a job first hashes it. The
 * thread claims from the front of its queue as it gets to it; `digestSegments`
 * on the main thread claims from the other end. A claim is one
 * compare-and-swap on a shared word, so neither side waits for the other and a
 * thread that starts late (a loaded machine) simply finds everything claimed.
 * That lets `plan` post the kernel and initrd as soon as they are known and
 * have them hashed while it is still planning.
 *
 * The thread runs a small script of its own (only node:crypto and node:fs),
 * so the single-file CLI carries it as text and no second file is looked up.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";

/** One file range to hash, then `zeros` zero bytes: a segment's memsz bytes. */
export interface DigestJob {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  readonly zeros: bigint;
}

/** A file problem the thread met, reported as the main thread's streamed read would. */
export interface DigestJobProblem {
  readonly path: string;
  readonly field: "path" | "length";
  readonly offset: number | undefined;
  readonly message: string;
}

/** A job in the thread's queue. */
export interface PostedDigestJob {
  readonly algorithm: string;
  readonly job: DigestJob;
  /** Its claim word. */
  readonly slot: number;
}

type Reply = { readonly slot: number; readonly digest: string } | { readonly slot: number; readonly problem: DigestJobProblem };

/** Claim words: free, taken by the thread, taken by the caller. */
const FREE = 0;
const BY_THREAD = 1;
const BY_CALLER = 2;
/** Jobs one worker tracks; later posts are refused (the caller hashes them itself). */
const SLOTS = 1024;

// The thread's whole program (CommonJS, run with `eval`). It claims a job,
// checks the range against the file as opened, reads it in 256 KiB chunks into
// one buffer and feeds the zero tail from one zero chunk, as `streamFileRange`.
const WORKER_SOURCE = `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { closeSync, fstatSync, openSync, readSync } = require("node:fs");
const claims = new Int32Array(workerData.claims);
const buffer = Buffer.allocUnsafe(256 * 1024);
const zero = new Uint8Array(1024 * 1024);
class Problem { constructor(p) { this.p = p; } }
function hashJob(algorithm, job) {
  const hash = createHash(algorithm);
  if (job.length > 0) {
    let fd;
    try { fd = openSync(job.path, "r"); } catch (e) { throw new Problem({ path: job.path, field: "path", offset: undefined, message: "cannot open: " + e.message }); }
    try {
      const size = fstatSync(fd).size;
      if (job.offset + job.length > size) throw new Problem({ path: job.path, field: "length", offset: job.offset, message: "range of 0x" + job.length.toString(16) + " bytes runs past the end of the 0x" + size.toString(16) + "-byte file" });
      let position = job.offset, remaining = job.length;
      while (remaining > 0) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, remaining), position);
        if (n === 0) throw new Problem({ path: job.path, field: "length", offset: position, message: "file ended early (truncated while being read?)" });
        hash.update(buffer.subarray(0, n));
        position += n; remaining -= n;
      }
    } finally { closeSync(fd); }
  }
  const step = BigInt(zero.length);
  let left = job.zeros;
  for (; left >= step; left -= step) hash.update(zero);
  if (left > 0n) hash.update(zero.subarray(0, Number(left)));
  return hash.digest("hex");
}
parentPort.on("message", ({ slot, algorithm, job }) => {
  if (Atomics.compareExchange(claims, slot, ${FREE}, ${BY_THREAD}) !== ${FREE}) return;
  try {
    parentPort.postMessage({ slot, digest: hashJob(algorithm, job) });
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    parentPort.postMessage({ slot, problem: e.p });
  }
});
`;

/** Thrown for a job whose file could not be hashed; `problem` says which file, field and offset. */
export class DigestJobFailed extends Error {
  constructor(readonly problem: DigestJobProblem) {
    super(`${problem.path}: ${problem.message}`);
  }
}

const keyOf = (algorithm: string, job: DigestJob) => `${algorithm}\0${job.path}\0${job.offset}\0${job.length}\0${job.zeros}`;

/**
 * A started digest thread. Post jobs with {@link post}; claim one for the
 * calling thread with {@link claim}, or await the thread's digest of a job it
 * claimed with {@link result}. Always {@link close} it.
 */
export class DigestWorker {
  private readonly worker: Worker;
  private readonly claims = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly posted = new Map<string, PostedDigestJob>();
  private readonly replies = new Map<number, Reply>();
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
  private failure: unknown;

  private constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false, workerData: { claims: this.claims.buffer } });
    // Only an awaited result keeps the process alive (see `result`); a plan
    // that fails early must not wait for the thread to start.
    this.worker.unref();
    this.worker.on("message", (reply: Reply) => {
      this.replies.set(reply.slot, reply);
      const waiter = this.waiting.get(reply.slot);
      this.waiting.delete(reply.slot);
      waiter?.resolve(reply);
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`digest thread exited (code ${code})`)));
  }

  /** The thread is gone: what is awaited of it, and will be, fails with `error`. */
  private fail(error: unknown): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  /**
   * Start a digest thread, or `undefined` on a machine with one CPU (a second
   * thread would only slow the first) or where no thread can be started:
   * digests are then made on the calling thread alone.
   */
  static start(options: { readonly force?: boolean } = {}): DigestWorker | undefined {
    if (options.force !== true && availableParallelism() <= 1) return undefined;
    try {
      return new DigestWorker();
    } catch {
      return undefined;
    }
  }

  /**
   * Queue `job` on the thread (the same job posted twice is queued once).
   * `undefined` when the thread has failed or its slots are used up: the
   * caller hashes such a job itself.
   */
  post(algorithm: string, job: DigestJob): PostedDigestJob | undefined {
    const key = keyOf(algorithm, job);
    const known = this.posted.get(key);
    if (known !== undefined || this.failure !== undefined || this.posted.size >= SLOTS) return known;
    const posted = { algorithm, job, slot: this.posted.size };
    this.posted.set(key, posted);
    this.worker.postMessage({ slot: posted.slot, algorithm, job });
    return posted;
  }

  /** Take `posted` for the calling thread: true unless the thread took it first (then await {@link result}). */
  claim(posted: PostedDigestJob): boolean {
    return Atomics.compareExchange(this.claims, posted.slot, FREE, BY_CALLER) !== BY_THREAD;
  }

  /** Who has taken `posted` so far: nobody yet, the thread, or the calling thread. */
  holder(posted: PostedDigestJob): "none" | "thread" | "caller" {
    const state = Atomics.load(this.claims, posted.slot);
    return state === BY_THREAD ? "thread" : state === BY_CALLER ? "caller" : "none";
  }

  /** The thread's digest of a job it claimed; a file problem rejects with {@link DigestJobFailed}. */
  async result(posted: PostedDigestJob): Promise<string> {
    if (Atomics.load(this.claims, posted.slot) !== BY_THREAD) throw new Error(`digest job ${posted.slot} was not taken by the digest thread`);
    let reply = this.replies.get(posted.slot);
    if (reply === undefined) {
      if (this.failure !== undefined) throw this.failure;
      this.worker.ref(); // an answer is awaited: keep the process alive for it
      try {
        reply = await new Promise<Reply>((resolve, reject) => this.waiting.set(posted.slot, { resolve, reject }));
      } finally {
        if (this.waiting.size === 0) this.worker.unref();
      }
    }
    if ("problem" in reply) throw new DigestJobFailed(reply.problem);
    return reply.digest;
  }

  /** End the thread; a result still awaited of it then fails (`digestSegments` hashes that job itself). */
  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
    this.fail(new Error("the digest thread was closed"));
  }
}
