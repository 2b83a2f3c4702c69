import { startsWith, u32le, type Codec, type InflateSink } from "./codec.js";
import { xxh32 } from "./checksums.js";

// LZ4 frame format (lz4/doc/lz4_Frame_format.md) and the legacy frame that
// `lz4 -l` writes and Linux's unlz4 reads; the block format is lz4_Block_format.md.
const LEGACY_MAGIC = [0x02, 0x21, 0x4c, 0x18]; // 0x184C2102 little-endian
const FRAME_MAGIC = [0x04, 0x22, 0x4d, 0x18]; // 0x184D2204 little-endian
const LEGACY_MAGIC_U32 = 0x184c2102;
const FRAME_MAGIC_U32 = 0x184d2204;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** A legacy block inflates to at most 8 MiB (LEGACY_BLOCKSIZE in lz4io.c). */
const LEGACY_BLOCK_MAX = 8 << 20;
/** Frame descriptor BD bits 6..4 give the block maximum: 4 = 64 KiB ... 7 = 4 MiB. */
const FRAME_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
/** Linked blocks may refer back this far into earlier output. */
const WINDOW = 64 << 10;

/**
 * Block decoder: inflate `src[from, to)` into `dst` starting at `at`; matches may reach back to `floor`. Returns the new end.
 *
 * Speed (issue 18: within 1.5x of `lz4 -dc`): most sequences of a kernel are a
 * few literals and a short match, so the per-sequence cost decides. Short
 * copies move 4 bytes at a time through DataViews and may write up to 16 bytes
 * past the sequence's end ("wild copy", as the reference decoder does) — only
 * when that slack is inside `dst`, where the next sequence or block overwrites
 * it; long copies go to `set`/`copyWithin`.
 */
export function decodeLz4Block(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number, floor: number, sink: InflateSink): number {
  const sv = new DataView(src.buffer, src.byteOffset, src.length);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.length);
  const oend = dst.length;
  const wildEnd = oend - WILD_SLACK;
  const srcWildEnd = src.length - WILD_SLACK;
  let ip = from;
  let op = at;
  for (;;) {
    if (ip >= to) sink.fail("block.token", ip, "block ends without its last literals");
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= to) sink.fail("block.literal_length", ip, "length runs past the block");
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > to - ip) sink.fail("block.literals", ip, `${lit} literal byte(s) run past the block end`);
    if (lit > oend - op) sink.fail("block.literals", ip, "inflates past the block's maximum size");
    if (lit <= 16 && op <= wildEnd && ip <= srcWildEnd) {
      dv.setUint32(op, sv.getUint32(ip, true), true);
      dv.setUint32(op + 4, sv.getUint32(ip + 4, true), true);
      if (lit > 8) {
        dv.setUint32(op + 8, sv.getUint32(ip + 8, true), true);
        dv.setUint32(op + 12, sv.getUint32(ip + 12, true), true);
      }
    } else if (lit < 32) {
      for (let i = 0; i < lit; i++) dst[op + i] = src[ip + i]!;
    } else {
      dst.set(src.subarray(ip, ip + lit), op);
    }
    ip += lit;
    op += lit;
    if (ip === to) return op; // the last sequence has literals only
    if (to - ip < 2) sink.fail("block.offset", ip, "offset runs past the block");
    const offset = src[ip]! | (src[ip + 1]! << 8);
    if (offset === 0 || offset > op - floor) sink.fail("block.offset", ip, `match offset ${offset} reaches before the start of the output`);
    ip += 2;
    let len = (token & 15) + 4;
    if (len === 19) {
      let b: number;
      do {
        if (ip >= to) sink.fail("block.match_length", ip, "length runs past the block");
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (len > oend - op) sink.fail("block.match", ip, "inflates past the block's maximum size");
    op = copyMatch(dst, dv, op, offset, len, wildEnd);
  }
}

/** Bytes a wild copy may write past a sequence's end (literals: up to 16 at once; matches: 8). */
const WILD_SLACK = 16;

/** Copy a match of `len` bytes from `offset` back; returns the new end. */
function copyMatch(dst: Uint8Array, dv: DataView, op: number, offset: number, len: number, wildEnd: number): number {
  const end = op + len;
  let m = op - offset;
  if (offset >= 8 && len <= 64 && end <= wildEnd) {
    // 8 bytes a step: [m, m + 8) is always below op, so every byte read is final
    do {
      dv.setUint32(op, dv.getUint32(m, true), true);
      dv.setUint32(op + 4, dv.getUint32(m + 4, true), true);
      op += 8;
      m += 8;
    } while (op < end);
    return end;
  }
  if (len < 64) {
    while (op < end) dst[op++] = dst[m++]!;
  } else if (offset >= len) {
    dst.copyWithin(op, m, end - offset);
  } else if (offset === 1) {
    dst.fill(dst[m]!, op, end); // a run of one byte (zero padding, mostly)
  } else {
    // overlapping (a run): copy the period, then twice as much each step
    while (op < end) {
      const n = Math.min(op - m, end - op);
      dst.copyWithin(op, m, m + n);
      op += n;
    }
  }
  return end;
}


/** LZ4: the frame format (`lz4`) and the legacy frame (`lz4 -l`, what Linux kernels use). */
export const LZ4_CODEC: Codec = {
  id: "lz4",
  tool: "lz4",
  matches: (bytes) => startsWith(bytes, LEGACY_MAGIC) || startsWith(bytes, FRAME_MAGIC),
  decode(input: Uint8Array, sink: InflateSink): void {
    let ip = 0;
    while (ip < input.length && !sink.done) {
      if (input.length - ip < 4) sink.fail("magic", ip, "trailing bytes after the last frame");
      const magic = u32le(input, ip);
      if (magic === LEGACY_MAGIC_U32) ip = decodeLegacyFrame(input, ip + 4, sink);
      else if (magic === FRAME_MAGIC_U32) ip = decodeFrame(input, ip + 4, sink);
      else if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
        if (input.length - ip < 8) sink.fail("skippable.size", ip + 4, "truncated");
        const size = u32le(input, ip + 4);
        if (size > input.length - ip - 8) sink.fail("skippable.size", ip + 4, `${size} bytes run past the end of the input`);
        ip += 8 + size;
      } else sink.fail("magic", ip, `0x${magic.toString(16)} is not an LZ4 frame`);
    }
  },
};

/** Legacy frame: `u32 size, block` repeated until the input ends or another magic starts a new frame. Blocks are independent. */
function decodeLegacyFrame(input: Uint8Array, ip: number, sink: InflateSink): number {
  let scratch: Uint8Array | undefined;
  const block = { get value() { return (scratch ??= new Uint8Array(LEGACY_BLOCK_MAX)); } };
  while (ip < input.length && !sink.done) {
    if (input.length - ip < 4) sink.fail("block.size", ip, "truncated block size");
    const size = u32le(input, ip);
    if (size === LEGACY_MAGIC_U32 || size === FRAME_MAGIC_U32) return ip;
    // LZ4_compressBound(8 MiB) is a little over 8 MiB; anything larger is not a legacy block.
    if (size === 0 || size > LEGACY_BLOCK_MAX + (LEGACY_BLOCK_MAX / 255 | 0) + 16) sink.fail("block.size", ip, `${size} is not a legacy block size`);
    if (size > input.length - ip - 4) sink.fail("block.size", ip, `block of ${size} bytes runs past the end of the input (${input.length - ip - 4} left)`);
    const direct = sink.direct;
    if (direct && direct.length >= LEGACY_BLOCK_MAX) {
      // blocks are independent: decode straight into the output
      sink.commit(decodeLz4Block(input, ip + 4, ip + 4 + size, direct.subarray(0, LEGACY_BLOCK_MAX), 0, 0, sink));
    } else {
      const end = decodeLz4Block(input, ip + 4, ip + 4 + size, block.value, 0, 0, sink);
      sink.write(block.value.subarray(0, end), ip);
    }
    ip += 4 + size;
  }
  return ip;
}

/** LZ4 frame: descriptor, blocks (compressed or stored), end mark, optional checksums. */
function decodeFrame(input: Uint8Array, ip: number, sink: InflateSink): number {
  const start = ip;
  if (input.length - ip < 3) sink.fail("frame.descriptor", ip, "truncated");
  const flg = input[ip]!;
  const bd = input[ip + 1]!;
  if (flg >>> 6 !== 1) sink.fail("frame.FLG.version", ip, `version ${flg >>> 6} is not 1`);
  if (flg & 0x02 || bd & 0x8f) sink.fail("frame.reserved", ip, "reserved bits are set");
  const independent = (flg & 0x20) !== 0;
  const blockChecksum = (flg & 0x10) !== 0;
  const hasSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDict = (flg & 0x01) !== 0;
  const blockMax = FRAME_BLOCK_MAX[(bd >>> 4) & 7]!;
  if (blockMax === 0) sink.fail("frame.BD.block_max", ip + 1, `size code ${(bd >>> 4) & 7} is not 4..7`);
  const descLength = 2 + (hasSize ? 8 : 0) + (hasDict ? 4 : 0);
  if (input.length - ip < descLength + 1) sink.fail("frame.descriptor", ip, "truncated");
  if (hasDict) sink.fail("frame.FLG.dict_id", ip, "frames needing a dictionary are not supported");
  const hc = (xxh32(input.subarray(ip, ip + descLength), 0) >>> 8) & 0xff;
  if (hc !== input[ip + descLength]) sink.fail("frame.HC", ip + descLength, "descriptor checksum mismatch");
  ip += descLength + 1;
  const window = independent ? 0 : WINDOW;
  const buf = new Uint8Array(window + blockMax);
  let kept = 0; // bytes of history at the start of buf
  const contentStart = sink.length;
  const all: Uint8Array[] = [];
  for (;;) {
    if (input.length - ip < 4) sink.fail("block.size", ip, "truncated (no end mark)");
    const word = u32le(input, ip);
    if (word === 0) {
      ip += 4;
      break;
    }
    const stored = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax) sink.fail("block.size", ip, `${size} exceeds the frame's block maximum ${blockMax}`);
    if (size > input.length - ip - 4 - (blockChecksum ? 4 : 0)) sink.fail("block.size", ip, "block runs past the end of the input");
    const data = input.subarray(ip + 4, ip + 4 + size);
    if (blockChecksum && xxh32(data, 0) !== u32le(input, ip + 4 + size)) sink.fail("block.checksum", ip + 4 + size, "block checksum mismatch");
    let end: number;
    if (stored) {
      buf.set(data, kept);
      end = kept + size;
    } else {
      end = decodeLz4Block(input, ip + 4, ip + 4 + size, buf, kept, 0, sink);
    }
    const out = buf.subarray(kept, end);
    if (contentChecksum) all.push(out.slice());
    if (!sink.write(out, ip)) return input.length;
    ip += 4 + size + (blockChecksum ? 4 : 0);
    if (window) {
      // keep the last 64 KiB as history for the next block
      const from = Math.max(0, end - WINDOW);
      buf.copyWithin(0, from, end);
      kept = end - from;
    }
  }
  const produced = sink.length - contentStart;
  if (hasSize) {
    const lo = u32le(input, start + 2);
    const hi = u32le(input, start + 6);
    if (hi !== 0 || lo !== produced) sink.fail("frame.content_size", start + 2, `says ${hi * 2 ** 32 + lo} bytes but the frame inflates to ${produced}`);
  }
  if (contentChecksum) {
    if (input.length - ip < 4) sink.fail("frame.content_checksum", ip, "truncated");
    const joined = new Uint8Array(produced);
    let at = 0;
    for (const c of all) {
      joined.set(c, at);
      at += c.length;
    }
    if (xxh32(joined, 0) !== u32le(input, ip)) sink.fail("frame.content_checksum", ip, "content checksum mismatch");
    ip += 4;
  }
  return ip;
}
