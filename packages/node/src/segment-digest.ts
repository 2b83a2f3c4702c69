/**
 * Streaming per-segment digests (SHA-256 by default), the check kexec purgatory
 * makes before it jumps to the next kernel.
 *
 * What is hashed, per segment, is exactly what memory holds at
 * `[mem, mem + memsz)` after the load: the `bufsz` bytes of the buffer followed
 * by `memsz - bufsz` zero bytes. Both producers of purgatory digests do this:
 * - Linux `kernel/kexec_file.c` `kexec_calculate_store_digests()` feeds
 *   `ksegment->kbuf` for `bufsz` bytes, then the zero page repeatedly for
 *   `nullsz = memsz - bufsz` bytes ("Assume rest of the buffer is filled with
 *   zero"), and records the region as `{mem, memsz}`;
 * - kexec-tools `kexec/kexec.c` `update_purgatory()` does the same with a
 *   256-byte `null_buf`, recording `{mem, memsz}` in `sha256_regions`;
 * - purgatory (`purgatory/purgatory.c` `verify_sha256_digest()`, and Linux
 *   `arch/x86/purgatory/purgatory.c`) re-hashes each region's `len` (= memsz)
 *   bytes in memory, in order, into ONE SHA-256 compared with the stored one.
 * Both skip the purgatory segment itself (its data is patched with the digest).
 *
 * So `digestSegments` gives each segment its own digest of those memsz bytes,
 * and, on request, the single purgatory-style digest over every non-purgatory
 * segment in order (`purgatory: true`; it costs a second hash pass over the
 * bytes, so it is opt-in).
 *
 * Streaming: a file range is read with positional reads into one reused
 * buffer and hashed chunk by chunk, so memory stays at one chunk whatever the
 * file size; zero tails are fed from one shared zero chunk. Nothing holds a
 * whole file.
 */
import { createHash, getHashes, type Hash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { FormatError, ValidationError, type Segment } from "@handoff/core";
import { DigestJobFailed, type DigestJob, type DigestWorker, type PostedDigestJob } from "./digest-worker.js";

/** Default read chunk: large enough that per-call overhead vanishes, small enough to stay in the CPU cache between read and hash. */
export const DEFAULT_DIGEST_CHUNK = 256 * 1024;
/** Bytes hashed between two yields to the event loop. */
const YIELD_EVERY = 32 * 1024 * 1024;

/** One segment's digest. */
export interface SegmentDigest {
  /** Index in the input list. */
  readonly index: number;
  readonly role: Segment["role"];
  readonly name: string | undefined;
  readonly mem: bigint;
  readonly bufsz: bigint;
  readonly memsz: bigint;
  /** Bytes fed to the hash: memsz (bufsz of data, then the zero tail). */
  readonly hashedBytes: bigint;
  /** Lower-case hex digest. */
  readonly digest: string;
}

/** A region as purgatory records it (`struct kexec_sha_region` / `sha256_region`). */
export interface PurgatoryRegion {
  readonly start: bigint;
  readonly len: bigint;
}

/** Result of {@link digestSegments}. */
export interface SegmentDigests {
  readonly algorithm: string;
  readonly segments: readonly SegmentDigest[];
  /** Present when asked for: the one digest purgatory verifies, and its regions. */
  readonly purgatory?: { readonly digest: string; readonly regions: readonly PurgatoryRegion[] };
}

/** Options of the segment digest: read chunk size and whether to add the purgatory digest. */
export interface DigestOptions {
  /** Read chunk size in bytes (one reused buffer). Default {@link DEFAULT_DIGEST_CHUNK}. */
  readonly chunkSize?: number;
  /** Also compute the single purgatory digest over every non-`purgatory` segment, in order. */
  readonly purgatory?: boolean;
  /** Whole files the caller has already read (path to all their bytes): their segments are hashed from memory, not read again. */
  readonly inMemory?: ReadonlyMap<string, Uint8Array>;
  /**
   * A started {@link DigestWorker}: file ranges are shared with it (it takes
   * them from the large end, this thread from the small end) while this thread
   * hashes what only it can. Per-segment digests only: the purgatory digest is
   * one stream and is made here.
   */
  readonly worker?: DigestWorker;
}

let zeroChunk: Uint8Array | undefined;
function zeros(): Uint8Array {
  // One shared, never-written zero chunk feeds every zero tail.
  zeroChunk ??= new Uint8Array(1024 * 1024);
  return zeroChunk;
}

/**
 * Digest every segment by streaming its bytes (see the module comment for
 * what is hashed and why). Refuses segments whose `bufsz` disagrees with their
 * data or exceeds `memsz`, and file ranges that run past the end of the file,
 * before hashing anything.
 */
export async function digestSegments(
  segments: readonly Segment[],
  algorithm = "sha256",
  options: DigestOptions = {},
): Promise<SegmentDigests> {
  if (!getHashes().includes(algorithm)) {
    throw new ValidationError("digest", `unknown hash algorithm '${algorithm}' (node:crypto offers ${getHashes().join(", ")})`);
  }
  const chunkSize = options.chunkSize ?? DEFAULT_DIGEST_CHUNK;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 4096 || chunkSize > 256 * 1024 * 1024) {
    throw new ValidationError("digest", `chunk size ${chunkSize} is not an integer in [4 KiB, 256 MiB]`);
  }
  segments.forEach(checkShape);

  const inMemory = options.inMemory ?? new Map<string, Uint8Array>();
  if (options.worker !== undefined && options.purgatory !== true) return digestShared(segments, algorithm, options.worker, chunkSize, inMemory);
  const combined = options.purgatory === true ? createHash(algorithm) : undefined;
  const regions: PurgatoryRegion[] = [];
  const buffer = segments.some((s) => s.data.kind === "file" && s.data.length > 0 && !inMemory.has(s.data.path)) ? Buffer.allocUnsafe(chunkSize) : undefined;

  const results: SegmentDigest[] = [];
  for (const [index, segment] of segments.entries()) {
    const own = createHash(algorithm);
    const toCombined = combined !== undefined && segment.role !== "purgatory" ? combined : undefined;
    const sinks: Hash[] = toCombined ? [own, toCombined] : [own];
    const feed = (chunk: Uint8Array) => {
      for (const h of sinks) h.update(chunk);
    };

    await feedSegment(segment, inMemory, () => buffer!, feed);
    if (toCombined) regions.push({ start: segment.mem, len: segment.memsz });
    results.push({
      index,
      role: segment.role,
      name: segment.name,
      mem: segment.mem,
      bufsz: segment.bufsz,
      memsz: segment.memsz,
      hashedBytes: segment.memsz,
      digest: own.digest("hex"),
    });
  }
  return combined
    ? { algorithm, segments: results, purgatory: { digest: combined.digest("hex"), regions } }
    : { algorithm, segments: results };
}

/** Feed a segment's memsz bytes: its data (from memory when the whole file is there, else streamed), then its zero tail. */
async function feedSegment(segment: Segment, inMemory: ReadonlyMap<string, Uint8Array>, buffer: () => Buffer, feed: (chunk: Uint8Array) => void): Promise<void> {
  const data = segment.data;
  if (data.kind === "bytes") feed(data.bytes);
  else if (data.kind === "file" && data.length > 0) {
    const whole = inMemory.get(data.path);
    if (whole !== undefined) feed(rangeOf(whole, data));
    else await streamFileRange(data.path, data.offset, data.length, buffer(), feed);
  }
  feedZeros(segment.memsz - segment.bufsz, feed);
}

/** The digest-thread job that hashes exactly `segment`'s memsz bytes, when it is a file range. */
export function digestJobOf(segment: Segment): DigestJob | undefined {
  const d = segment.data;
  return d.kind === "file" && d.length > 0 ? { path: d.path, offset: d.offset, length: d.length, zeros: segment.memsz - segment.bufsz } : undefined;
}

/** Segment indices ordered by memsz (`order` 1: smallest first, -1: largest first), ties in index order. */
const bySize = (segments: readonly Segment[], order: 1 | -1) => (a: number, b: number) =>
  segments[a]!.memsz === segments[b]!.memsz ? a - b : segments[a]!.memsz < segments[b]!.memsz ? -order : order;

/**
 * Queue every file-range segment on the digest thread, largest first (the
 * thread takes its queue from the front); by segment index, what was queued.
 * `plan` calls it early, with the kernel and initrd as soon as they are known.
 */
export function postLargestFirst(worker: DigestWorker, algorithm: string, segments: readonly Segment[]): Map<number, PostedDigestJob> {
  const posted = new Map<number, PostedDigestJob>();
  for (const i of [...segments.keys()].sort(bySize(segments, -1))) {
    const job = digestJobOf(segments[i]!);
    const p = job === undefined ? undefined : worker.post(algorithm, job);
    if (p !== undefined) posted.set(i, p);
  }
  return posted;
}

/**
 * Per-segment digests shared with a digest thread: every file range goes into
 * its queue ({@link postLargestFirst}; what `plan` posted early is there
 * already); this thread hashes what only it can, then claims queued ranges
 * from the small end, and finally awaits what the thread took.
 */
async function digestShared(segments: readonly Segment[], algorithm: string, worker: DigestWorker, chunkSize: number, inMemory: ReadonlyMap<string, Uint8Array>): Promise<SegmentDigests> {
  const posted = postLargestFirst(worker, algorithm, segments);
  let buffer: Buffer | undefined;
  const digests = new Map<number, string>();
  const hashHere = async (i: number) => {
    const own = createHash(algorithm);
    await feedSegment(segments[i]!, inMemory, () => (buffer ??= Buffer.allocUnsafe(chunkSize)), (chunk) => own.update(chunk));
    digests.set(i, own.digest("hex"));
  };
  for (const i of segments.keys()) if (!posted.has(i)) await hashHere(i);
  const theirs: number[] = [];
  for (const i of [...posted.keys()].sort(bySize(segments, 1))) {
    if (worker.claim(posted.get(i)!)) await hashHere(i);
    else theirs.push(i);
  }
  for (const i of theirs) {
    const digest = await threadResult(worker, posted.get(i)!);
    // The thread ended before answering (it failed, or was closed): this thread hashes what it had taken.
    if (digest === undefined) await hashHere(i);
    else digests.set(i, digest);
  }
  return { algorithm, segments: segments.map((s, index) => ({ index, role: s.role, name: s.name, mem: s.mem, bufsz: s.bufsz, memsz: s.memsz, hashedBytes: s.memsz, digest: digests.get(index)! })) };
}

/** The thread's digest, or undefined when the thread ended without one; its file problems become the {@link FormatError}s a streamed read here throws. */
async function threadResult(worker: DigestWorker, posted: PostedDigestJob): Promise<string | undefined> {
  try {
    return await worker.result(posted);
  } catch (cause) {
    if (!(cause instanceof DigestJobFailed)) return undefined;
    const p = cause.problem;
    throw new FormatError(p.path, "file range", p.field, p.offset, p.message, { cause });
  }
}

/** The bytes of a file range from the whole file in memory; a range past its end is refused as a streamed read would. */
function rangeOf(whole: Uint8Array, d: { readonly path: string; readonly offset: number; readonly length: number }): Uint8Array {
  if (d.offset + d.length > whole.length) {
    throw new FormatError(d.path, "file range", "length", d.offset, `range of 0x${d.length.toString(16)} bytes runs past the end of the 0x${whole.length.toString(16)}-byte file`);
  }
  return whole.subarray(d.offset, d.offset + d.length);
}

function checkShape(segment: Segment, index: number): void {
  const subject = `segment[${index}]${segment.name ? ` (${segment.name})` : ""}`;
  const d = segment.data;
  if (d.kind === "file") {
    if (!Number.isSafeInteger(d.offset) || d.offset < 0 || !Number.isSafeInteger(d.length) || d.length < 0) {
      throw new ValidationError(subject, `file range offset ${d.offset} length ${d.length} is not a non-negative safe integer pair`);
    }
  }
  const length = d.kind === "bytes" ? BigInt(d.bytes.length) : d.kind === "file" ? BigInt(d.length) : 0n;
  if (segment.bufsz !== length) {
    throw new ValidationError(subject, `bufsz 0x${segment.bufsz.toString(16)} differs from its data's length 0x${length.toString(16)}`);
  }
  if (segment.memsz < segment.bufsz) {
    throw new ValidationError(subject, `bufsz 0x${segment.bufsz.toString(16)} exceeds memsz 0x${segment.memsz.toString(16)}`);
  }
}

function feedZeros(count: bigint, feed: (chunk: Uint8Array) => void): void {
  const z = zeros();
  const step = BigInt(z.length);
  let left = count;
  while (left >= step) {
    feed(z);
    left -= step;
  }
  if (left > 0n) feed(z.subarray(0, Number(left)));
}

/**
 * Feed `length` bytes of `path` from `offset` to `feed`, one reused buffer.
 *
 * Reads are synchronous positional reads: measured on the bench machine, the
 * thread-pool round trip of async reads (and the data crossing cores between
 * the reading thread and the hashing thread) cost about twice the CPU of a
 * read-then-hash loop on one thread, and a small buffer that stays in the CPU
 * cache between read and hash beats a large one. The loop yields to the event
 * loop every {@link YIELD_EVERY} bytes so timers and progress output still run.
 */
async function streamFileRange(path: string, offset: number, length: number, buffer: Buffer, feed: (chunk: Uint8Array) => void): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw new FormatError(path, "file range", "path", undefined, `cannot open: ${(cause as Error).message}`, { cause });
  }
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) {
      throw new FormatError(path, "file range", "length", offset, `range of 0x${length.toString(16)} bytes runs past the end of the 0x${size.toString(16)}-byte file`);
    }
    let position = offset;
    let remaining = length;
    let sinceYield = 0;
    while (remaining > 0) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, remaining), position);
      if (n === 0) throw new FormatError(path, "file range", "length", position, "file ended early (truncated while being read?)");
      feed(buffer.subarray(0, n));
      position += n;
      remaining -= n;
      sinceYield += n;
      if (sinceYield >= YIELD_EVERY && remaining > 0) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    closeSync(fd);
  }
}
