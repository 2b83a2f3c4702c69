/**
 * LZ4's legacy frame (`lz4 -l`, what Linux compresses kernels with) through
 * liblz4, the reference decoder the `lz4` tool itself is built on, called
 * through koffi (the FFI library @handoff/node already ships for the kexec
 * syscalls, with prebuilt binaries). No npm LZ4 binding does better: lz4-napi
 * (lz4_flex) can only return a fresh, zero-filled buffer per block, which
 * made it slower than core's pure-JS decoder on the x86_64 fixture's payload.
 *
 * The framing is parsed here, and every block's sequences are walked once
 * (checking what core checks, and summing the inflated size) before any byte
 * is decoded; then each block (at most 8 MiB out) goes to
 * `LZ4_decompress_safe`, which never writes past the capacity it is given and
 * never reads past the block, straight into the output: the sink's
 * announced-size buffer (a kernel's size trailer), else one buffer of exactly
 * the inflated size. Anything this path does not accept (another frame kind, a
 * block core would refuse or liblz4 rejects, output past the cap) returns
 * undefined, and core's decoder runs from the start: it gives the same bytes,
 * or the typed error naming field and offset.
 */
import type { InflateSink } from "@handoff/core";

/** The shared object that holds liblz4 on Linux distributions (Debian's liblz4-1, Fedora's lz4-libs). */
export const LIBLZ4_SONAME = "liblz4.so.1";

const LEGACY_MAGIC = 0x184c2102;
const FRAME_MAGIC = 0x184d2204;
/** A legacy block inflates to at most 8 MiB (lz4io.c's LEGACY_BLOCKSIZE); core's decoder has the same limit. */
export const LEGACY_BLOCK_MAX = 8 << 20;
/** LZ4_compressBound(8 MiB): a larger size field is not a legacy block (core refuses it). */
const LEGACY_BLOCK_SIZE_MAX = LEGACY_BLOCK_MAX + ((LEGACY_BLOCK_MAX / 255) | 0) + 16;

/** `LZ4_decompress_safe(src, dst, srcSize, dstCapacity)`: bytes written, or negative for malformed input or too little room. */
export type Lz4DecompressSafe = (src: Uint8Array, dst: Uint8Array, srcSize: number, dstCapacity: number) => number;

/** The part of koffi used here. */
interface KoffiLoader {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

/** liblz4's block decoder, loaded through koffi; throws when koffi or liblz4 is not there. */
export function loadLiblz4(load: (id: string) => unknown): Lz4DecompressSafe {
  const koffi = load("koffi") as KoffiLoader;
  const fn = koffi.load(LIBLZ4_SONAME).func("int LZ4_decompress_safe(const void *src, void *dst, int compressedSize, int dstCapacity)");
  return fn as Lz4DecompressSafe;
}

/** The little-endian 32-bit word at `at` (LZ4's size fields, Linux's size trailer). */
export function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** The blocks of a stream that is exactly one legacy frame, as [start, size] pairs; undefined for anything else. */
export function legacyBlocks(input: Uint8Array): [number, number][] | undefined {
  if (input.length < 4 || u32le(input, 0) !== LEGACY_MAGIC) return undefined;
  const blocks: [number, number][] = [];
  let ip = 4;
  while (ip < input.length) {
    if (input.length - ip < 4) return undefined;
    const size = u32le(input, ip);
    if (size === 0 || size > LEGACY_BLOCK_SIZE_MAX || size === LEGACY_MAGIC || size === FRAME_MAGIC || size > input.length - ip - 4) return undefined;
    blocks.push([ip + 4, size]);
    ip += 4 + size;
  }
  return blocks;
}

/**
 * The sum of the 255-continued length bytes at `from` (up to the first below
 * 255), or -1 when they run to `end` or past 8 MiB (the block is refused
 * either way; and the sum stays an int32).
 */
function continuedLength(src: Uint8Array, from: number, end: number): number {
  let n = 0;
  let b = 255;
  for (let p = from; b === 255; p++) {
    if (p >= end || n > LEGACY_BLOCK_MAX) return -1;
    b = src[p]!;
    n += b;
  }
  return n;
}

/**
 * What `src[from, to)` inflates to, walking its sequences without copying, or
 * -1 when core's decoder would refuse it. liblz4 is a decoder, not a validator:
 * it takes a match offset of 0 (the block format calls it corrupt) and copies
 * the output buffer onto itself, so every check core makes is made here first.
 * Local state in the loop: this walk is on the critical path of the payload
 * inflate (two million sequences in the x86_64 fixture's payload).
 */
export function lz4BlockSize(src: Uint8Array, from: number, to: number): number {
  let out = 0;
  let p = from | 0; // small integers: V8 keeps the loop in int32 arithmetic (about a third faster)
  const end = to | 0;
  for (;;) {
    if (p >= end) return -1; // no last literals
    const token = src[p++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      const more = continuedLength(src, p, end);
      if (more < 0) return -1;
      lit += more;
      p += ((more / 255) | 0) + 1; // 255 * count + the last byte, below 255
    }
    p += lit;
    // Literals that end the block exactly end it; past it, they run out of input.
    if (p >= end) return p === end && out + lit <= LEGACY_BLOCK_MAX ? out + lit : -1;
    out += lit;
    if (p + 2 > end) return -1;
    const offset = src[p]! | (src[p + 1]! << 8);
    if (offset === 0 || offset > out) return -1;
    p += 2;
    let len = (token & 15) + 4;
    if (len === 19) {
      const more = continuedLength(src, p, end);
      if (more < 0) return -1;
      len += more;
      p += ((more / 255) | 0) + 1;
    }
    out += len; // past 8 MiB is refused at the end: out only grows
  }
}

/**
 * Inflate one legacy frame with liblz4 into the sink's announced-size buffer,
 * or into a new one of exactly the inflated size; undefined when core's
 * decoder must take this input (see the module comment).
 */
export function decodeLegacyLz4(input: Uint8Array, sink: InflateSink, decompress: Lz4DecompressSafe): Uint8Array | undefined {
  const blocks = legacyBlocks(input);
  if (blocks === undefined) return undefined;
  const sizes: number[] = [];
  let total = 0;
  for (const [start, size] of blocks) {
    const n = lz4BlockSize(input, start, start + size);
    if (n < 0) return undefined;
    sizes.push(n);
    total += n;
  }
  if (total > sink.maxOutput) return undefined; // core stops at the cap and names the offset
  const direct = sink.direct;
  // The announced size may be a lie; then liblz4 would run out of room, or the caller's size check reports it.
  const out = direct !== undefined && direct.length >= total ? direct.subarray(0, total) : new Uint8Array(total);
  let op = 0;
  for (let i = 0; i < blocks.length; i++) {
    const [start, size] = blocks[i]!;
    const want = sizes[i]!;
    if (want > 0 && decompress(input.subarray(start, start + size), out.subarray(op, op + want), size, want) !== want) return undefined;
    op += want;
  }
  return out;
}
