/** LZ4 legacy frames for the liblz4 tests: hand-built, made by `lz4 -l`, read back by `lz4 -dc`. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fixtureKernel, KERNELS, requireTool } from "@handoff/test-support";

export function ascii(s: string): number[] {
  return [...Buffer.from(s, "latin1")];
}

/** A legacy frame (magic, then u32 size + block for each block). */
export function legacy(...blocks: (number[] | Uint8Array)[]): Uint8Array {
  const out = new Uint8Array(4 + blocks.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x184c2102, true);
  let at = 4;
  for (const b of blocks) {
    view.setUint32(at, b.length, true);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/** `bytes` through `lz4 -l` (the legacy frame), or undefined (loudly) without the tool. */
export function lz4Legacy(bytes: Uint8Array): Uint8Array | undefined {
  if (!requireTool("lz4")) return undefined;
  const r = spawnSync("lz4", ["-l", "-c"], { input: bytes, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`lz4 -l: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

export function lz4Dc(stream: Uint8Array): Buffer {
  const r = spawnSync("lz4", ["-dc"], { input: stream, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`lz4 -dc: ${r.stderr}`);
  return r.stdout;
}

/** 17 MiB of a real kernel (three legacy blocks, the last partial), or a deterministic stand-in. */
export function sample(): Uint8Array {
  const path = fixtureKernel(KERNELS.arm64);
  const base = path ? new Uint8Array(readFileSync(path)) : new Uint8Array(4 << 20).map((_, i) => (i * 2654435761) >>> 26);
  const out = new Uint8Array(17 << 20);
  for (let at = 0; at < out.length; at += base.length) out.set(base.subarray(0, out.length - at), at);
  return out;
}
