/**
 * Inflating ahead on two cores (inflateAhead: liblz4 on libuv's thread pool
 * and the main thread) against core's pure-JS decoder and `lz4 -dc`: the parse
 * that follows takes exactly the bytes core gives (the x86 fixtures' bzImage
 * payloads, streams `lz4 -l` made), without decoding again; every hostile
 * stream leaves nothing behind and the parse gives core's typed error, field
 * and offset, also when the refusal comes while pool calls are in flight (all
 * of them have returned when inflateAhead resolves, and none was given more
 * room than its slice); without koffi or liblz4 nothing runs ahead and core's
 * decoder takes over.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CODECS, FormatError, inflate, type Codec, type ImageFormat, type ImageInput } from "@handoff/core";
import { inflateAhead, nodeCodecs, type ModuleLoader } from "@handoff/node";
import { bzImagePayloadFormat, extractBzImagePayload } from "@handoff/x86";
import { ascii, legacy, lz4Dc, lz4Legacy, sample } from "./lz4-streams.js";
import { fixtureKernel, IN_CI, KERNELS, requireTool } from "@handoff/test-support";

const nodeRequire = createRequire(import.meta.url);
const MIB8 = 8 << 20;

/** What the koffi calls did: liblz4 on this thread and on the pool, and how many pool calls have not returned. */
interface Calls {
  sync: number;
  pool: number;
  inFlight: number;
  /** A call given more room than its destination, or more input than its source (would write or read past them). */
  outOfBounds: number;
}

/**
 * A loader whose koffi counts liblz4 calls, checks their bounds, and tracks
 * pool calls still running. `slowPool`: each pool call reports back that many
 * milliseconds late (as on a busy machine); `noLibc`: no madvise, so the pool
 * gets its first block at once rather than after the prefault.
 */
function watchedKoffi(options: { slowPool?: number; noLibc?: boolean } = {}): { load: ModuleLoader; calls: Calls } {
  const calls: Calls = { sync: 0, pool: 0, inFlight: 0, outOfBounds: 0 };
  const check = (a: unknown[]) => {
    const [src, dst, srcSize, cap] = a as [Uint8Array, Uint8Array, number, number];
    if (srcSize > src.length || cap > dst.length) calls.outOfBounds++;
  };
  const load: ModuleLoader = (id) => {
    const koffi = nodeRequire(id) as { load(p: string): { func(sig: string): ((...a: unknown[]) => unknown) & { async(...a: unknown[]): void } } };
    if (id !== "koffi") return koffi;
    return {
      load: (p: string) => {
        if (options.noLibc && p === "libc.so.6") throw new Error("libc.so.6: cannot open shared object file");
        const lib = koffi.load(p);
        return {
          func: (sig: string) => {
            const f = lib.func(sig);
            if (!sig.includes("LZ4_decompress_safe")) return f;
            const direct = (...a: unknown[]) => {
              calls.sync++;
              check(a);
              return f(...a);
            };
            direct.async = (...a: unknown[]) => {
              calls.pool++;
              calls.inFlight++;
              check(a);
              const done = a.pop() as (e: unknown, r: unknown) => void;
              f.async(...a, (e: unknown, r: unknown) => {
                setTimeout(() => {
                  calls.inFlight--;
                  done(e, r);
                }, options.slowPool ?? 0);
              });
            };
            return direct;
          },
        };
      },
    };
  };
  return { load, calls };
}

/** True when liblz4 loads through koffi here; missing: a loud skip locally, a failure under CI=true. */
function liblz4Loads(): boolean {
  try {
    (nodeRequire("koffi") as { load(p: string): unknown }).load("liblz4.so.1");
    return true;
  } catch {
    if (IN_CI) throw new Error("liblz4.so.1 does not load through koffi under CI (Debian's liblz4-1 comes with lz4)");
    console.warn("SKIP: liblz4.so.1 does not load through koffi here; core's LZ4 decoder is used");
    return false;
  }
}

/** The blocks of a legacy frame, as their bytes. */
function blocksOf(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(stream.buffer, stream.byteOffset, stream.length);
  for (let at = 4; at < stream.length; at += 4 + view.getUint32(at, true)) out.push(stream.subarray(at + 4, at + 4 + view.getUint32(at, true)));
  return out;
}

/** `stream` followed by Linux's size trailer saying `size` (default: what it truly inflates to is given by the caller), at an offset in a larger file. */
function payloadFile(stream: Uint8Array, size: number): { input: ImageInput; format: ImageFormat; offset: number } {
  const offset = 512;
  const bytes = new Uint8Array(offset + stream.length + 4 + 64);
  bytes.set(stream, offset);
  new DataView(bytes.buffer).setUint32(offset + stream.length, size, true);
  const length = stream.length + 4;
  // An image format whose parse inflates that one stream, as the bzImage payload format does.
  const format: ImageFormat = {
    id: "test-payload",
    description: "one compressed stream with a size trailer",
    probe: () => false,
    compressedStreams: () => [{ offset, length, sizeTrailer: true }],
    parse: () => {
      throw new Error("not used");
    },
  };
  return { input: { path: "p.bin", bytes }, format, offset };
}

/** The parse's inflate of that stream: its bytes (base64) or its typed error's class, field, offset and message. */
function outcome(file: { input: ImageInput; offset: number }, streamLength: number, codecs: readonly Codec[], maxOutput?: number): unknown {
  const bytes = file.input.bytes.subarray(file.offset, file.offset + streamLength + 4);
  try {
    return Buffer.from(inflate(bytes, { file: "p.bin", offset: file.offset, sizeTrailer: true, codecs, maxOutput }).bytes).toString("base64");
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { type: e.constructor.name, field: e.field, offset: e.offset, message: e.message };
  }
}

/** 25 MiB, mostly zeros (quick to decode) with 256 KiB of a real kernel's code at the start of each 8 MiB block: four legacy blocks. */
function sparse(): Uint8Array {
  const real = sample().subarray(1 << 20, (1 << 20) + (256 << 10));
  const out = new Uint8Array((25 << 20) + 4321);
  for (let at = 0; at < out.length; at += MIB8) out.set(real.subarray(0, Math.min(real.length, out.length - at)), at);
  return out;
}

describe("inflating ahead on two cores", () => {
  for (const name of [KERNELS.x86_64, KERNELS.x86_32, "x86_32-bzImage-6.1.0-57-686-pae"]) {
    it(`${name}: the payload the parse takes is what core and the codec's tool give, and is not decoded again`, async ({ skip }) => {
      const path = fixtureKernel(name);
      if (!path || !liblz4Loads()) return skip();
      const input = { path, bytes: new Uint8Array(readFileSync(path)) };
      const { load, calls } = watchedKoffi();
      const kept = await inflateAhead(input, bzImagePayloadFormat, { load, env: {} });
      const core = extractBzImagePayload(input, { codecs: DEFAULT_CODECS });
      expect(calls.inFlight).toBe(0);
      if (core.codec !== "lz4") {
        expect({ kept, pool: calls.pool, sync: calls.sync }).toEqual({ kept: 0, pool: 0, sync: 0 }); // only LZ4 runs ahead
        return;
      }
      expect(kept).toBe(1);
      const syncBefore = calls.sync;
      const ours = extractBzImagePayload(input, { codecs: nodeCodecs({ load }) });
      expect(calls.sync).toBe(syncBefore); // taken, not decoded again
      expect(calls.sync + calls.pool).toBe(Math.ceil(core.vmlinux.bytes.length / MIB8)); // each block once, on one side or the other
      expect(calls.outOfBounds).toBe(0);
      expect(Buffer.compare(Buffer.from(ours.vmlinux.bytes), Buffer.from(core.vmlinux.bytes))).toBe(0);
      if (requireTool("lz4")) {
        const stream = input.bytes.subarray(core.payload.offset, core.payload.offset + core.payload.length - 4);
        expect(Buffer.compare(lz4Dc(stream), Buffer.from(ours.vmlinux.bytes))).toBe(0);
      }
      // Taken once: the next parse decodes for itself, to the same bytes.
      const again = extractBzImagePayload(input, { codecs: nodeCodecs({ load }) });
      expect(calls.sync).toBeGreaterThan(syncBefore);
      expect(Buffer.compare(Buffer.from(again.vmlinux.bytes), Buffer.from(core.vmlinux.bytes))).toBe(0);
    });
  }

  it("inflates what `lz4 -l` made (three blocks, the last partial) to what core and `lz4 -dc` give", async ({ skip }) => {
    const plain = sample();
    const stream = lz4Legacy(plain);
    if (!stream || !liblz4Loads()) return skip();
    const file = payloadFile(stream, plain.length);
    const { load, calls } = watchedKoffi();
    expect(await inflateAhead(file.input, file.format, { load, env: {} })).toBe(1);
    const ours = outcome(file, stream.length, nodeCodecs({ load }));
    expect({ decodes: calls.sync + calls.pool, inFlight: calls.inFlight, outOfBounds: calls.outOfBounds }).toEqual({ decodes: 3, inFlight: 0, outOfBounds: 0 }); // each block once, on the pool or after the walk
    expect(ours).toEqual(outcome(file, stream.length, DEFAULT_CODECS));
    expect(ours).toEqual(lz4Dc(stream).toString("base64"));
  });

  it("does nothing with HANDOFF_NATIVE_CODECS=0, nor without koffi or liblz4: the parse decodes with core", async ({ skip }) => {
    const plain = sample().subarray(0, 1 << 20);
    const stream = lz4Legacy(plain);
    if (!stream) return skip();
    const file = payloadFile(stream, plain.length);
    const noKoffi: ModuleLoader = () => {
      throw new Error("Cannot find module 'koffi'");
    };
    const noLib: ModuleLoader = () => ({ load: () => { throw new Error("liblz4.so.1: cannot open shared object file"); } });
    const { load, calls } = watchedKoffi();
    expect(await inflateAhead(file.input, file.format, { load, env: { HANDOFF_NATIVE_CODECS: "0" } })).toBe(0);
    expect(calls.pool + calls.sync).toBe(0);
    for (const missing of [noKoffi, noLib]) {
      expect(await inflateAhead(file.input, file.format, { load: missing, env: {} })).toBe(0);
      expect(outcome(file, stream.length, nodeCodecs({ load: missing }))).toEqual(Buffer.from(plain).toString("base64"));
    }
  });

  const hostileBlocks: [string, number[]][] = [
    ["a match offset of 0 (liblz4 alone would copy the buffer onto itself)", [0x10, ...ascii("A"), 0, 0, 0xf0, 5, ...ascii("BCDEFGHIJKLMNOPQRSTU")]],
    ["an offset past the output so far", [0x10, ...ascii("A"), 2, 0, 0x50, ...ascii("BCDEF")]],
    ["a block cut short (ends after a match)", [0x10, ...ascii("A"), 1, 0]],
    ["literals running past the block", [0x60, ...ascii("ABCDE")]],
  ];
  for (const [name, block] of hostileBlocks) {
    it(`${name}, in the last of four blocks while the pool decodes the first: core's typed error, nothing left running`, async ({ skip }) => {
      const good = lz4Legacy(sparse());
      if (!good || !liblz4Loads()) return skip();
      const blocks = blocksOf(good);
      expect(blocks.length).toBe(4);
      const stream = legacy(...blocks.slice(0, 3), block);
      const file = payloadFile(stream, 3 * MIB8 + 65);
      // The pool's first decode is queued before the walk starts and reports back late: the refusal comes while it runs.
      const { load, calls } = watchedKoffi({ slowPool: 50, noLibc: true });
      expect(await inflateAhead(file.input, file.format, { load, env: {} })).toBe(0);
      expect(calls.pool).toBe(1); // refused before the pool's first call came back, so no second was queued
      expect(calls.inFlight).toBe(0);
      expect(calls.outOfBounds).toBe(0);
      const core = outcome(file, stream.length, DEFAULT_CODECS);
      expect(core).toMatchObject({ type: "FormatError" });
      expect(outcome(file, stream.length, nodeCodecs({ load }))).toEqual(core);
    });
  }

  it("a size trailer that lies, or a stream past the cap: nothing kept, core's typed error", async ({ skip }) => {
    const plain = sparse();
    const stream = lz4Legacy(plain);
    if (!stream || !liblz4Loads()) return skip();
    for (const [size, maxOutput, type] of [
      [plain.length + 1, undefined, "FormatError"],
      [plain.length - 1, undefined, "FormatError"],
      [plain.length - MIB8, undefined, "FormatError"], // one block fewer than the stream has
      [plain.length, 16 << 20, "FormatError"], // the trailer says more than the cap
      [16 << 20, (16 << 20) + 1, "DecompressedSizeError"], // the trailer lies within the cap; the stream passes it in the third block
    ] as const) {
      const file = payloadFile(stream, size);
      const { load, calls } = watchedKoffi();
      expect(await inflateAhead(file.input, file.format, { load, env: {}, ...(maxOutput === undefined ? {} : { maxOutput }) })).toBe(0);
      expect(calls.inFlight).toBe(0);
      expect(calls.outOfBounds).toBe(0);
      const core = outcome(file, stream.length, DEFAULT_CODECS, maxOutput);
      expect(core).toMatchObject({ type });
      expect(outcome(file, stream.length, nodeCodecs({ load }), maxOutput)).toEqual(core);
    }
  });

  it("random corruptions of a four-block stream: the same bytes or the same typed error as core, nothing left running (fixed seed)", async ({ skip }) => {
    const plain = sparse();
    const stream = lz4Legacy(plain);
    if (!stream || !liblz4Loads()) return skip();
    const { load, calls } = watchedKoffi();
    const codecs = nodeCodecs({ load });
    let taken = 0;
    const edit = fc.record({ at: fc.nat({ max: stream.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const bad = stream.slice();
        for (const { at, xor } of edits) bad[at]! ^= xor;
        const file = payloadFile(bad, plain.length);
        taken += await inflateAhead(file.input, file.format, { load, env: {} });
        expect(calls.inFlight).toBe(0);
        expect(outcome(file, bad.length, codecs)).toEqual(outcome(file, bad.length, DEFAULT_CODECS));
      }),
      { numRuns: 30 },
    );
    expect(calls.outOfBounds).toBe(0);
    expect(taken).toBeGreaterThan(0); // some corruptions (in literals) stay decodable and went ahead
  });
});
