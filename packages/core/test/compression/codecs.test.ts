import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DecompressedSizeError, FormatError, detectCodec, inflate, type CodecId } from "@handoff/core";
import { KERNELS, fixtureKernel, requireTool, tempDir } from "@handoff/test-support";

/**
 * Every codec against what its own Debian tool writes: a slice of a real
 * kernel compressed by `gzip`, `xz`, `lzma`, `zstd`, `lz4 -l`, `lz4`, `bzip2`
 * inflates to the same bytes; then the same streams damaged.
 */

const work = tempDir("handoff-codecs-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** [name, codec, tool, args] — args write the compressed stream to stdout. */
const TOOLS: readonly [string, CodecId, string, readonly string[]][] = [
  ["gzip", "gzip", "gzip", ["-9", "-c"]],
  ["xz", "xz", "xz", ["-c"]],
  ["xz --x86 (as Linux)", "xz", "xz", ["-c", "--check=crc32", "--x86", "--lzma2=dict=32MiB"]],
  ["xz sha256", "xz", "xz", ["-c", "--check=sha256"]],
  ["lzma", "lzma", "lzma", ["-c"]],
  ["zstd", "zstd", "zstd", ["-q", "-19", "-c"]],
  ["lz4 -l (legacy)", "lz4", "lz4", ["-l", "-9", "-c"]],
  ["lz4 frame", "lz4", "lz4", ["-c", "--content-size", "-BD", "-BX"]],
  ["bzip2", "bzip2", "bzip2", ["-9", "-c"]],
];

/** Streams whose corruption handoff cannot detect: the format carries no checksum. */
const UNCHECKED = new Set(["lz4 -l (legacy)"]);

function sample(): Uint8Array | undefined {
  const path = fixtureKernel(KERNELS.x86_64);
  if (!path) return undefined;
  // 3 MiB from the middle of a real kernel: code, data and strings.
  const all = readFileSync(path);
  return new Uint8Array(all.subarray(4 << 20, 7 << 20));
}

function compress(tool: string, args: readonly string[], input: Uint8Array): Uint8Array {
  const r = spawnSync(tool, [...args], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")}: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

describe("codecs inflate what the Debian tools write", () => {
  const original = sample();
  for (const [name, codec, tool, args] of TOOLS) {
    it(name, () => {
      if (!original || !requireTool(tool)) return;
      const packed = compress(tool, args, original);
      expect(detectCodec(packed)?.id).toBe(codec);
      const out = inflate(packed, { file: `sample.${codec}` });
      expect(out.codec).toBe(codec);
      expect(out.complete).toBe(true);
      expect(out.bytes.length).toBe(original.length);
      expect(Buffer.compare(Buffer.from(out.bytes), Buffer.from(original))).toBe(0);
      // a probe inflates only a prefix, and it is the right one
      const prefix = inflate(packed, { file: "p", stopAfter: 4096 });
      expect(prefix.complete).toBe(false);
      expect(Buffer.from(prefix.bytes)).toEqual(Buffer.from(original.subarray(0, 4096)));
    });
  }
});

describe("hostile streams get a typed error naming file, field and offset", () => {
  const original = sample();
  for (const [name, codec, tool, args] of TOOLS) {
    it(`${name}: truncated, corrupted, capped, lying size trailer`, () => {
      if (!original || !requireTool(tool)) return;
      const packed = compress(tool, args, original.subarray(0, 1 << 20));
      const file = join(work, `hostile.${codec}`);
      writeFileSync(file, packed);

      // truncated at several points
      for (const cut of [packed.length - 1, packed.length >> 1, 20]) {
        const e = catchError(() => inflate(packed.subarray(0, cut), { file }));
        expect(e, `cut at ${cut}`).toBeInstanceOf(FormatError);
        expect((e as FormatError).file).toBe(file);
        expect((e as FormatError).format).toBe(`${codec} stream`);
        expect((e as FormatError).offset).toBeTypeOf("number");
      }
      // one byte flipped in the middle: a check or the decoder must notice — where the format has a check
      // handoff verifies (the LZ4 legacy frame has none)
      if (!UNCHECKED.has(name)) {
        const bad = packed.slice();
        bad[bad.length >> 1]! ^= 0x55;
        expect(catchError(() => inflate(bad, { file }))).toBeInstanceOf(FormatError);
      }
      // the cap: a stream that inflates past it stops with DecompressedSizeError
      const capped = catchError(() => inflate(packed, { file, maxOutput: 100_000 }));
      expect(capped, "cap").toBeInstanceOf(FormatError);
      // a size trailer that lies (Linux appends the inflated size to every payload)
      const trailer = new Uint8Array(packed.length + 4);
      trailer.set(packed);
      new DataView(trailer.buffer).setUint32(packed.length, (1 << 20) + 1, true);
      const lie = catchError(() => inflate(trailer, { file, sizeTrailer: true })) as FormatError;
      expect(lie).toBeInstanceOf(FormatError);
      expect(lie.field).toBe("size trailer");
      expect(lie.offset).toBe(packed.length);
      new DataView(trailer.buffer).setUint32(packed.length, 1 << 20, true);
      expect(inflate(trailer, { file, sizeTrailer: true }).bytes.length).toBe(1 << 20);
    });
  }

  it("a decompression bomb (64 MiB of zeros in a few KiB) stops at the cap", () => {
    for (const [tool, args] of [["gzip", ["-1", "-c"]], ["zstd", ["-q", "-1", "-c"]], ["xz", ["-0", "-c"]], ["lzma", ["-0", "-c"]], ["bzip2", ["-1", "-c"]], ["lz4", ["-l", "-c"]]] as const) {
      if (!requireTool(tool)) continue;
      const r = spawnSync("sh", ["-c", `head -c 64M /dev/zero | ${tool} ${args.join(" ")}`], { maxBuffer: 1 << 28 });
      const bomb = new Uint8Array(r.stdout);
      expect(bomb.length).toBeLessThan(1 << 20);
      const e = catchError(() => inflate(bomb, { file: `bomb.${tool}`, maxOutput: 8 << 20 }));
      expect(e, tool).toBeInstanceOf(DecompressedSizeError);
      expect((e as DecompressedSizeError).limit).toBe(8 << 20);
      expect((e as DecompressedSizeError).file).toBe(`bomb.${tool}`);
    }
  }, 120_000);

  it("headers that claim more than the cap are refused before anything is allocated", () => {
    // zstd frame header with a content size of 2^40, LZMA alone header with 2^40: refused by the header check
    const zstd = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
    const z = catchError(() => inflate(zstd, { file: "claims.zst", maxOutput: 1 << 20 })) as FormatError;
    expect(z).toBeInstanceOf(FormatError);
    expect(z.field).toBe("frame.content_size");
    const lzma = new Uint8Array([0x5d, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const l = catchError(() => inflate(lzma, { file: "claims.lzma", codec: "lzma", maxOutput: 1 << 20 })) as FormatError;
    expect(l.field).toBe("header.uncompressed_size");
  });

  it("no codec matches random bytes", () => {
    expect(catchError(() => inflate(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { file: "x" }))).toBeInstanceOf(FormatError);
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
