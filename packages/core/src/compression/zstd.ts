import { Decompress } from "fzstd";
import { HandoffError } from "../errors.js";
import { startsWith, u32le, type Codec, type InflateSink } from "./codec.js";
import { Xxh64 } from "./xxh64.js";

// Zstandard (RFC 8878) through fzstd: pure JS, MIT, streaming, by fflate's
// author. fzstd sizes its buffers from the frame header, so every frame's
// header is checked here against the caller's cap before fzstd sees it.
const ZSTD_MAGIC_U32 = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const CHUNK = 1 << 16;
/** RFC 8878 §3.1.1.1.2: windows past 3.75 TiB are invalid; decoders may refuse past 8 MiB. We allow what the cap allows. */
const WINDOW_LOG_MIN = 10;


/** Where a frame ends, where its Content_Checksum is (-1: the frame has none), and the most it can inflate to. */
interface FrameExtent {
  readonly end: number;
  readonly checksumAt: number;
  /** Sum of its blocks' largest outputs (RFC 8878 §3.1.1.2.4: Block_Maximum_Size = min(Window_Size, 128 KiB)). */
  readonly maxContent: number;
}

/** RFC 8878 §3.1.1.2.4: no block inflates past 128 KiB. */
const BLOCK_SIZE_MAX = 128 << 10;

/** Walk a frame's header and block headers (RFC 8878 §3.1.1) without decoding. */
function checkFrame(input: Uint8Array, start: number, sink: InflateSink): FrameExtent {
  let ip = start + 4;
  if (ip >= input.length) sink.fail("frame.header", ip, "truncated");
  const fhd = input[ip]!;
  if (fhd & 0x08) sink.fail("frame.header.reserved", ip, "reserved bit is set");
  const single = (fhd & 0x20) !== 0;
  const fcsFlag = fhd >>> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  const checksum = (fhd & 0x04) !== 0;
  ip++;
  const headerLength = (single ? 0 : 1) + dictBytes + fcsBytes;
  if (headerLength > input.length - ip) sink.fail("frame.header", ip, "truncated");
  let window = 0;
  if (!single) {
    const wd = input[ip]!;
    const log = WINDOW_LOG_MIN + (wd >>> 3);
    const base = 2 ** log;
    window = base + (base / 8) * (wd & 7);
    if (window > sink.maxOutput && window > 1 << 27) sink.fail("frame.window_descriptor", ip, `window of ${window} bytes is more than the cap allows`);
    ip++;
  }
  if (dictBytes) {
    let id = 0;
    for (let i = dictBytes - 1; i >= 0; i--) id = id * 256 + input[ip + i]!;
    if (id !== 0) sink.fail("frame.dictionary_id", ip, "frames needing a dictionary are not supported");
    ip += dictBytes;
  }
  if (fcsBytes) {
    let size = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + input[ip + i]!;
    if (fcsBytes === 2) size += 256;
    if (single) window = size;
    if (size > sink.maxOutput - sink.length) sink.fail("frame.content_size", ip, `says ${size} bytes, more than the cap of ${sink.maxOutput} allows`);
    ip += fcsBytes;
  }
  const blockMax = Math.min(window, BLOCK_SIZE_MAX);
  let maxContent = 0;
  for (;;) {
    if (input.length - ip < 3) sink.fail("block.header", ip, "truncated (no last block)");
    const h = input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16);
    const last = h & 1;
    const type = (h >>> 1) & 3;
    const size = h >>> 3;
    if (type === 3) sink.fail("block.header.type", ip, "reserved block type 3");
    const body = type === 1 ? 1 : size;
    if (body > input.length - ip - 3) sink.fail("block.size", ip, `block of ${body} bytes runs past the end of the input`);
    ip += 3 + body;
    maxContent += type === 2 ? blockMax : size; // raw and RLE blocks give Block_Size bytes
    if (last) break;
  }
  if (!checksum) return { end: ip, checksumAt: -1, maxContent };
  if (input.length - ip < 4) sink.fail("frame.checksum", ip, "truncated");
  return { end: ip + 4, checksumAt: ip, maxContent };
}

/** RFC 8878 §3.1.1: Content_Checksum is the low 32 bits of XXH64(content, seed 0), little-endian. */
function verifyChecksum(input: Uint8Array, checksumAt: number, hash: Xxh64, sink: InflateSink): void {
  const expected = u32le(input, checksumAt);
  const actual = Number(hash.digest() & 0xffffffffn);
  if (actual !== expected) {
    sink.fail("frame.checksum", checksumAt, `content checksum mismatch: the frame says 0x${expected.toString(16).padStart(8, "0")}, the inflated content hashes to 0x${actual.toString(16).padStart(8, "0")}`);
  }
}

/**
 * The most `input` (whole frames, skippable ones allowed) can inflate to, from
 * its frame and block headers alone: what lets a decoder that cannot stream
 * (a native one at the Node edge) run only when its output fits the cap.
 * Malformed headers fail through `sink`.
 */
export function zstdOutputBound(input: Uint8Array, sink: InflateSink): number {
  let bound = 0;
  let ip = 0;
  while (ip < input.length) {
    if (input.length - ip < 8) sink.fail("magic", ip, "trailing bytes after the last frame");
    const magic = u32le(input, ip);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      ip += 8 + u32le(input, ip + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC_U32) sink.fail("magic", ip, `0x${magic.toString(16)} is not a Zstandard frame`);
    const frame = checkFrame(input, ip, sink);
    bound += frame.maxContent;
    ip = frame.end;
  }
  return bound;
}

/** Zstandard (RFC 8878) through fzstd, with frame headers checked against the cap first. */
export const ZSTD_CODEC: Codec = {
  id: "zstd",
  tool: "zstd",
  matches: (bytes) => startsWith(bytes, [0x28, 0xb5, 0x2f, 0xfd]),
  decode(input: Uint8Array, sink: InflateSink): void {
    let ip = 0;
    while (ip < input.length && !sink.done) {
      if (input.length - ip < 4) sink.fail("magic", ip, "trailing bytes after the last frame");
      const magic = u32le(input, ip);
      if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
        if (input.length - ip < 8) sink.fail("skippable.size", ip + 4, "truncated");
        const size = u32le(input, ip + 4);
        if (size > input.length - ip - 8) sink.fail("skippable.size", ip + 4, `${size} bytes run past the end of the input`);
        ip += 8 + size;
        continue;
      }
      if (magic !== ZSTD_MAGIC_U32) sink.fail("magic", ip, `0x${magic.toString(16)} is not a Zstandard frame`);
      const { end, checksumAt } = checkFrame(input, ip, sink);
      let at = ip;
      const hash = checksumAt >= 0 ? new Xxh64() : undefined;
      const decoder = new Decompress((chunk) => {
        hash?.update(chunk);
        sink.write(chunk, at);
      });
      try {
        for (; at < end && !sink.done; at += CHUNK) decoder.push(input.subarray(at, Math.min(end, at + CHUNK)), at + CHUNK >= end);
      } catch (cause) {
        if (cause instanceof HandoffError) throw cause;
        if (cause instanceof Error && "code" in cause) sink.fail("frame data", at, cause.message, { cause });
        throw cause;
      }
      if (hash && !sink.done) verifyChecksum(input, checksumAt, hash, sink);
      ip = end;
    }
  },
};
