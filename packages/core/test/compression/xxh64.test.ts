import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FormatError, Xxh64, inflate } from "@handoff/core";
import { requireTool } from "@handoff/test-support";

/**
 * XXH64, the Zstandard content checksum: the xxHash reference vectors, then
 * the checksum the `zstd` tool itself writes for inputs of every tail length,
 * and a frame whose content was altered without breaking its structure.
 */

const text = (s: string) => new TextEncoder().encode(s);

/** Deterministic bytes that `zstd` cannot compress (so it stores raw blocks). */
function noise(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function zstd(input: Uint8Array, ...args: string[]): Uint8Array {
  const r = spawnSync("zstd", ["-q", "-c", ...args], { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`zstd: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

describe("XXH64", () => {
  it("matches the xxHash reference vectors", () => {
    expect(new Xxh64().update(new Uint8Array(0)).digest()).toBe(0xef46db3751d8e999n);
    expect(new Xxh64().update(text("a")).digest()).toBe(0xd24ec4f1a98c6e5bn);
    expect(new Xxh64().update(text("abc")).digest()).toBe(0x44bc2cf5ad770999n);
  });

  it("gives the same hash however the input is chunked", () => {
    const data = noise(1000);
    const whole = new Xxh64().update(data).digest();
    for (const step of [1, 3, 7, 31, 32, 33, 100, 999]) {
      const h = new Xxh64();
      for (let at = 0; at < data.length; at += step) h.update(data.subarray(at, at + step));
      expect(h.digest(), `chunks of ${step}`).toBe(whole);
    }
  });

  it("agrees with the checksum `zstd` writes, for every tail length and a long input", () => {
    if (!requireTool("zstd")) return;
    for (const n of [0, 1, 3, 4, 7, 8, 15, 31, 32, 33, 63, 64, 100, 1 << 20]) {
      const data = noise(n, n + 1);
      const frame = zstd(data, "--check");
      const stored = new DataView(frame.buffer, frame.byteOffset).getUint32(frame.length - 4, true);
      expect(Number(new Xxh64().update(data).digest() & 0xffffffffn), `${n} bytes`).toBe(stored);
      expect(Buffer.compare(inflate(frame, { file: "ok.zst" }).bytes, data), `${n} bytes inflate`).toBe(0);
    }
  });
});

describe("zstd content checksum", () => {
  it("a content byte flipped inside a raw block is a FormatError at the checksum", () => {
    if (!requireTool("zstd")) return;
    const frame = zstd(noise(4096), "--check");
    const bad = frame.slice();
    bad[bad.length >> 1]! ^= 0x01; // inside the stored block's bytes: the structure stays valid
    let e: unknown;
    try {
      inflate(bad, { file: "flipped.zst", offset: 100 });
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toBe("flipped.zst");
    expect((e as FormatError).field).toBe("frame.checksum");
    expect((e as FormatError).offset).toBe(100 + bad.length - 4);
    expect(String((e as Error).message)).toMatch(/checksum mismatch/);
  });

  it("a frame written without a checksum still inflates", () => {
    if (!requireTool("zstd")) return;
    const data = noise(5000);
    expect(Buffer.from(inflate(zstd(data, "--no-check"), { file: "nocheck.zst" }).bytes)).toEqual(Buffer.from(data));
  });
});
