import { createHash } from "node:crypto";
import { readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { DigestWorker, digestJobOf, digestSegments, type PostedDigestJob } from "@handoff/node";
import { FormatError, type Segment } from "@handoff/core";
import { tempDir, writeRandomFile } from "@handoff/test-support";

const MiB = 1024 * 1024;

let dir: string;
let big: string;
let bigBytes: Buffer;
beforeAll(() => {
  dir = tempDir("handoff-digest-thread-");
  big = writeRandomFile(join(dir, "random-12m"), 12);
  bigBytes = readFileSync(big);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every test's thread is closed when the test ends, passed or not.
const started: DigestWorker[] = [];
const startThread = (): DigestWorker => {
  const w = DigestWorker.start({ force: true })!;
  started.push(w);
  return w;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.close()));
});

/** The oracle: node:crypto over the bytes as they sit in memory (the range, then the zero tail), built independently of the streaming code. */
function expected(s: Segment): string {
  const d = s.data;
  const body = d.kind === "bytes" ? d.bytes : d.kind === "file" ? readFileSync(d.path).subarray(d.offset, d.offset + d.length) : new Uint8Array(0);
  return createHash("sha256").update(body).update(new Uint8Array(Number(s.memsz - s.bufsz))).digest("hex");
}

function fileSegment(path: string, offset: number, length: number, tail = 0): Segment {
  return { data: { kind: "file", path, offset, length }, bufsz: BigInt(length), mem: 0x100000n, memsz: BigInt(length + tail), role: "other" };
}

/** Wait (bounded) until the thread has taken `posted`: a liveness bound, not a timing assertion. */
async function takenByThread(worker: DigestWorker, posted: PostedDigestJob): Promise<void> {
  for (let i = 0; i < 2000 && worker.holder(posted) === "none"; i++) await new Promise((r) => setTimeout(r, 5));
  expect(worker.holder(posted)).toBe("thread");
}

describe("the digest thread", () => {
  it("hashes a posted file range itself, zero tail included", async () => {
    const w = startThread();
    const segment = fileSegment(big, 4097, 5 * MiB + 3, 3 * 4096 + 11);
    const posted = w.post("sha256", digestJobOf(segment)!)!;
    await takenByThread(w, posted);
    expect(w.claim(posted)).toBe(false); // the thread has it: the caller cannot take it any more
    expect(await w.result(posted)).toBe(expected(segment));
  });

  it("a job the caller claims first is never hashed by the thread", async () => {
    const w = startThread();
    const first = w.post("sha256", digestJobOf(fileSegment(big, 0, 4096))!)!;
    expect(w.claim(first)).toBe(true);
    // The thread now gets to it (and past it, to a later job) without taking it.
    const later = w.post("sha256", digestJobOf(fileSegment(big, 1, 4096))!)!;
    await takenByThread(w, later);
    expect(w.holder(first)).toBe("caller");
    await expect(w.result(first)).rejects.toThrow(/not taken by the digest thread/);
  });

  it("posting the same bytes twice queues them once", () => {
    const w = startThread();
    const job = digestJobOf(fileSegment(big, 10, 20, 5))!;
    expect(w.post("sha256", job)).toBe(w.post("sha256", { ...job }));
    expect(w.post("sha512", job)).not.toBe(w.post("sha256", job));
  });
});

describe("digestSegments shares segments with the thread", () => {
  it("gives what one thread gives, for random mixes of file ranges, bytes and zero segments", async () => {
    const segmentArb = fc.oneof(
      fc.tuple(fc.nat(12 * MiB - 1), fc.nat(3 * MiB), fc.nat(64 * 1024)).map(([o, l, t]) => fileSegment(big, o, Math.min(l, 12 * MiB - o), t)),
      fc.tuple(fc.uint8Array({ maxLength: 5000 }), fc.nat(9000)).map(([b, t]): Segment => ({ data: { kind: "bytes", bytes: b }, bufsz: BigInt(b.length), mem: 0x9000n, memsz: BigInt(b.length + t), role: "cmdline" })),
      fc.nat(70000).map((n): Segment => ({ data: { kind: "zero" }, bufsz: 0n, mem: 0x2000000n, memsz: BigInt(n), role: "other" })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segmentArb, { minLength: 1, maxLength: 6 }), fc.boolean(), async (segments, inMemory) => {
        const w = startThread();
        const options = inMemory ? { inMemory: new Map([[big, new Uint8Array(bigBytes)]]) } : {};
        const shared = await digestSegments(segments, "sha256", { ...options, worker: w });
        expect(shared.segments.map((s) => s.digest)).toEqual(segments.map(expected));
        expect(shared.segments.map((s) => s.index)).toEqual(segments.map((_, i) => i));
        await w.close();
      }),
      { numRuns: 25 },
    );
  });

  it("takes the digest the thread made of a posted job instead of hashing again", async () => {
    const path = join(dir, "changes");
    writeFileSync(path, bigBytes.subarray(0, 2 * MiB));
    const segment = fileSegment(path, 0, 2 * MiB, 100);
    const before = expected(segment);
    const w = startThread();
    const posted = w.post("sha256", digestJobOf(segment)!)!;
    await takenByThread(w, posted);
    await w.result(posted);
    // Rewrite the file with other bytes of the same size: a fresh hash would differ, the thread's result does not.
    writeFileSync(path, bigBytes.subarray(MiB, 3 * MiB));
    expect(expected(segment)).not.toBe(before);
    const result = await digestSegments([segment], "sha256", { worker: w });
    expect(result.segments[0]!.digest).toBe(before);
    expect((await digestSegments([segment])).segments[0]!.digest).toBe(expected(segment));
  });

  it("a job the thread had taken when it ended is hashed on the calling thread", async () => {
    const w = startThread();
    // 1 GiB of zero tail: the thread is still at it when it is closed.
    const segment = fileSegment(big, 0, MiB, 1024 * MiB);
    const posted = w.post("sha256", digestJobOf(segment)!)!;
    await takenByThread(w, posted);
    await w.close();
    const result = await digestSegments([segment], "sha256", { worker: w });
    const oracle = createHash("sha256").update(bigBytes.subarray(0, MiB));
    const zeros = new Uint8Array(MiB);
    for (let i = 0; i < 1024; i++) oracle.update(zeros);
    expect(result.segments[0]!.digest).toBe(oracle.digest("hex"));
  });

  it("the purgatory digest stays one stream on the calling thread", async () => {
    const w = startThread();
    const segments = [fileSegment(big, 0, MiB, 4096), fileSegment(big, MiB, 2 * MiB)];
    const shared = await digestSegments(segments, "sha256", { worker: w, purgatory: true });
    const alone = await digestSegments(segments, "sha256", { purgatory: true });
    expect(shared).toEqual(alone);
  });
});

describe("file problems met on the thread are the errors a read here gives", () => {
  it("a range past the end of the file (truncated after posting): FormatError naming file, field and offset", async () => {
    const path = join(dir, "shrinks");
    writeFileSync(path, bigBytes.subarray(0, MiB));
    const segment = fileSegment(path, 4096, MiB - 4096);
    const w = startThread();
    // Shrink it before the thread can look, then post: the thread refuses the range.
    truncateSync(path, 8192);
    const posted = w.post("sha256", digestJobOf(segment)!)!;
    await takenByThread(w, posted);
    const err = await digestSegments([segment], "sha256", { worker: w }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({ file: path, field: "length", offset: 4096 });
    expect((err as Error).message).toMatch(/runs past the end of the 0x2000-byte file/);
  });

  it("a file that cannot be opened: FormatError naming the file and the path field", async () => {
    const segment = fileSegment(join(dir, "absent"), 0, 10);
    const w = startThread();
    const posted = w.post("sha256", digestJobOf(segment)!)!;
    await takenByThread(w, posted);
    const err = await digestSegments([segment], "sha256", { worker: w }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({ file: join(dir, "absent"), field: "path" });
  });
});
