/**
 * The Node edge's native decoders (zlib for gzip, libzstd for zstd, lzma-rust2 for xz) against
 * core's pure-JS ones: the same bytes from streams the Debian tools made, the
 * same typed errors (field and offset) from hostile streams, bombs refused at
 * the cap before the native decoder allocates, and core's decoder taking over
 * when the native module is missing (the kexec VM images carry none).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DecompressedSizeError, DEFAULT_CODECS, FormatError, defaultCodecs, inflate, installDefaultCodecs, type CodecId } from "@handoff/core";
import { NATIVE_CODEC_LIBRARIES, installNodeCodecs, nodeCodecs, type ModuleLoader } from "@handoff/node";
import { kernelFixturesDir, requireTool, thrownBy } from "@handoff/test-support";

const nodeRequire = createRequire(import.meta.url);
const kernels = kernelFixturesDir();
/** 2 MiB of a real kernel (code and data), or a deterministic stand-in. */
const plain = kernels
  ? new Uint8Array(readFileSync(join(kernels, "arm64-Image-6.1.0-50-cloud-arm64")).subarray(0, 2 << 20))
  : new Uint8Array(2 << 20).map((_, i) => (i * 2654435761) >>> 24);

const TOOLS: Record<"gzip" | "zstd" | "xz", readonly string[]> = { gzip: ["-n", "-c"], zstd: ["-q", "-c"], xz: ["-T1", "-c"] };

/** `bytes` compressed by the codec's own tool (undefined, loudly, when it is missing). */
function made(codec: keyof typeof TOOLS, bytes: Uint8Array = plain): Uint8Array | undefined {
  if (!requireTool(codec)) return undefined;
  if (bytes === plain && madeOnce.has(codec)) return madeOnce.get(codec);
  const r = spawnSync(codec, TOOLS[codec], { input: bytes, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${codec}: ${r.stderr}`);
  const out = new Uint8Array(r.stdout);
  if (bytes === plain) madeOnce.set(codec, out);
  return out;
}
const madeOnce = new Map<string, Uint8Array>();

/** A loader that records what it was asked for, loading the real modules. */
function countingLoader(): { load: ModuleLoader; asked: string[]; decodes: { n: number } } {
  const asked: string[] = [];
  const decodes = { n: 0 };
  const load: ModuleLoader = (id) => {
    asked.push(id);
    const m = nodeRequire(id) as Record<string, unknown>;
    if (id === "@toondepauw/node-zstd") {
      const Real = m.Decoder as new () => { decodeSync(b: Buffer): Buffer };
      return { Decoder: class { decodeSync(b: Buffer): Buffer { decodes.n++; return new Real().decodeSync(b); } } };
    }
    if (id === "@napi-rs/lzma") {
      const real = m.xz as { decompressSync(b: Uint8Array): Buffer };
      return { xz: { decompressSync: (b: Uint8Array) => { decodes.n++; return real.decompressSync(b); } } };
    }
    if (id === "node:zlib") return { ...m, gunzipSync: (...a: unknown[]) => { decodes.n++; return (m.gunzipSync as (...x: unknown[]) => unknown)(...a); } };
    return m;
  };
  return { load, asked, decodes };
}

/**
 * True when the native library for `codec` loads here. Missing (npm did not
 * install this platform's binary): a loud skip locally, a failure under CI=true.
 */
function nativeInstalled(codec: CodecId): boolean {
  const id = NATIVE_CODEC_LIBRARIES[codec]!;
  try {
    nodeRequire(id);
    return true;
  } catch (cause) {
    if (process.env.CI === "true") throw new Error(`${id} (the native ${codec} decoder) does not load under CI: run npm ci`, { cause });
    console.warn(`SKIP: ${id} does not load here (${(cause as Error).message.split("\n")[0]}); run npm ci`);
    return false;
  }
}

const missing: ModuleLoader = (id) => {
  throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
};

describe.each(["gzip", "zstd", "xz"] as const)("%s through its native decoder", (codec) => {
  it("inflates a stream the tool made to the same bytes as core, through the native library", ({ skip }) => {
    const stream = made(codec);
    if (!stream || !nativeInstalled(codec)) return skip();
    const { load, asked, decodes } = countingLoader();
    const ours = inflate(stream, { file: "k", codecs: nodeCodecs({ load }) });
    const theirs = inflate(stream, { file: "k", codecs: DEFAULT_CODECS });
    expect(Buffer.compare(Buffer.from(ours.bytes), Buffer.from(plain))).toBe(0);
    expect(Buffer.compare(Buffer.from(theirs.bytes), Buffer.from(plain))).toBe(0);
    expect(asked).toContain(NATIVE_CODEC_LIBRARIES[codec]);
    expect(decodes.n).toBe(1);
  });

  it("falls back to core's decoder when the native module is missing", ({ skip }) => {
    const stream = made(codec);
    if (!stream) return skip();
    const r = inflate(stream, { file: "k", codecs: nodeCodecs({ load: missing }) });
    expect(r.codec).toBe(codec);
    expect(Buffer.compare(Buffer.from(r.bytes), Buffer.from(plain))).toBe(0);
  });

  it("refuses a bomb at the cap with DecompressedSizeError, as core does", ({ skip }) => {
    const bomb = made(codec, new Uint8Array(16 << 20));
    if (!bomb) return skip();
    const { load, decodes } = countingLoader();
    const e = thrownBy(DecompressedSizeError, () => inflate(bomb, { file: "bomb", codecs: nodeCodecs({ load }), maxOutput: 1 << 20 }));
    expect(e.limit).toBe(1 << 20);
    expect(e.file).toBe("bomb");
    // zlib runs with maxOutputLength at the cap; libzstd and lzma-rust2 never start: the block or chunk headers bound the output past it.
    expect(decodes.n).toBe(codec === "gzip" ? 1 : 0);
  });

  it("stops a prefix probe early without the native decoder", ({ skip }) => {
    const stream = made(codec);
    if (!stream) return skip();
    const { load, decodes } = countingLoader();
    const r = inflate(stream, { file: "k", codecs: nodeCodecs({ load }), stopAfter: 4096 });
    expect(r.complete).toBe(false);
    expect(r.bytes.length).toBe(4096);
    expect(decodes.n).toBe(0);
  });

  const spoilers: [string, (s: Uint8Array) => Uint8Array][] = [
    ["truncated", (s) => s.subarray(0, s.length - 37)],
    ["a flipped byte in the middle", (s) => s.map((b, i) => (i === s.length >> 1 ? b ^ 0x5a : b))],
    ["a corrupted checksum at the end", (s) => s.map((b, i) => (i === s.length - 6 ? b ^ 0xff : b))],
    ["trailing garbage", (s) => new Uint8Array([...s, 1, 2, 3, 4, 5, 6, 7, 8, 9])],
  ];
  for (const [name, spoil] of spoilers) {
    it(`${name}: the same typed error (field, offset) as core`, ({ skip }) => {
      const stream = made(codec);
      if (!stream) return skip();
      const bad = spoil(stream);
      const fromCore = thrownBy(FormatError, () => inflate(bad, { file: "bad", codecs: DEFAULT_CODECS }));
      const fromNode = thrownBy(FormatError, () => inflate(bad, { file: "bad", codecs: nodeCodecs() }));
      expect({ field: fromNode.field, offset: fromNode.offset, message: fromNode.message }).toEqual({ field: fromCore.field, offset: fromCore.offset, message: fromCore.message });
    });
  }
});

describe("the codec set", () => {
  it("wraps exactly the codecs that have a native library, keeping core's ids and magic checks", () => {
    const codecs = nodeCodecs({ load: missing });
    expect(codecs.map((c) => c.id)).toEqual(DEFAULT_CODECS.map((c) => c.id));
    const wrapped = codecs.filter((c, i) => c !== DEFAULT_CODECS[i]).map((c) => c.id);
    expect(wrapped.sort()).toEqual((Object.keys(NATIVE_CODEC_LIBRARIES) as CodecId[]).sort());
  });

  it("installNodeCodecs makes them the process default unless HANDOFF_NATIVE_CODECS=0", () => {
    const before = defaultCodecs();
    try {
      installNodeCodecs({ HANDOFF_NATIVE_CODECS: "0" });
      expect(defaultCodecs()).toBe(before);
      installNodeCodecs({});
      expect(defaultCodecs()).not.toBe(before);
      expect(defaultCodecs().map((c) => c.id)).toEqual(before.map((c) => c.id));
    } finally {
      installDefaultCodecs(before);
    }
  });
});

describe("xz streams the native decoder cannot read", () => {
  it("Linux's payload form (x86 BCJ, CRC32) and a SHA-256 check: core decodes them, to the same bytes", ({ skip }) => {
    if (!requireTool("xz") || !nativeInstalled("xz")) return skip();
    for (const args of [["--check=crc32", "--x86", "--lzma2", "-c"], ["--check=sha256", "-c"]]) {
      const r = spawnSync("xz", args, { input: plain, maxBuffer: 1 << 28 });
      const { load, decodes } = countingLoader();
      const out = inflate(new Uint8Array(r.stdout), { file: "k", codecs: nodeCodecs({ load }) });
      expect(Buffer.compare(Buffer.from(out.bytes), Buffer.from(plain))).toBe(0);
      expect(decodes.n).toBe(1); // tried, refused the filter or check, handed over
    }
  });
});
