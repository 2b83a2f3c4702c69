// The .xz container (xz file format spec 1.2.0): stream header and footer, blocks
// of LZMA2 with an optional x86 BCJ filter, the index, and every check verified.
import { sha256 } from "@noble/hashes/sha2.js";
import { startsWith, u32le, type Codec, type InflateSink } from "./codec.js";
import { crc32, crc64 } from "./checksums.js";
import { LzmaDecoder } from "./lzma-decoder.js";
import { decodeLzma2, lzma2OutputBound } from "./lzma2.js";

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const XZ_FOOTER_MAGIC = [0x59, 0x5a];

/** Read an xz variable-length integer (at most 9 bytes, spec §1.2). */
function vli(input: Uint8Array, at: number, end: number, sink: InflateSink, field: string): [number, number] {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (at + i >= end) sink.fail(field, at, "truncated integer");
    const b = input[at + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) sink.fail(field, at, "integer is not minimally encoded");
      if (value > Number.MAX_SAFE_INTEGER) sink.fail(field, at, "integer is too large");
      return [value, at + i + 1];
    }
  }
  sink.fail(field, at, "integer is longer than 9 bytes");
}

/** Check sizes by check type (xz spec §2.1.1.2): 0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64. */
const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const CHECK_NONE = 0;
const CHECK_CRC32 = 1;
const CHECK_CRC64 = 4;
const CHECK_SHA256 = 10;
const FILTER_LZMA2 = 0x21;
const FILTER_BCJ_CALL_JUMP = 0x04;

/** xz's x86 BCJ filter decoder (xz spec §5.3.3, the x86 branch converter): turns absolute CALL/JMP targets back to relative. */
export function bcjCallJumpDecode(buf: Uint8Array, startOffset: number): void {
  const ALLOWED = [true, true, true, false, true, false, false, false];
  const BIT_NUMBER = [0, 1, 2, 2, 3, 3, 3, 3];
  const msByte = (b: number) => b === 0 || b === 0xff;
  let prevMask = 0;
  let prevPos = -5;
  if (buf.length < 5) return;
  const limit = buf.length - 5;
  let i = 0;
  while (i <= limit) {
    let b = buf[i]!;
    if (b !== 0xe8 && b !== 0xe9) {
      i++;
      continue;
    }
    const offset = i - prevPos;
    prevPos = i;
    if (offset > 5) prevMask = 0;
    else for (let k = 0; k < offset; k++) prevMask = (prevMask & 0x77) << 1;
    b = buf[i + 4]!;
    if (msByte(b) && ALLOWED[(prevMask >>> 1) & 7] && prevMask >>> 1 < 0x10) {
      let src = ((b << 24) | (buf[i + 3]! << 16) | (buf[i + 2]! << 8) | buf[i + 1]!) >>> 0;
      let dest: number;
      for (;;) {
        dest = (src - (startOffset + i + 5)) >>> 0;
        if (prevMask === 0) break;
        const n = BIT_NUMBER[prevMask >>> 1]!;
        b = (dest >>> (24 - n * 8)) & 0xff;
        if (!msByte(b)) break;
        src = (dest ^ (2 ** (32 - n * 8) - 1)) >>> 0;
      }
      buf[i + 4] = (dest >>> 24) & 1 ? 0xff : 0;
      buf[i + 3] = (dest >>> 16) & 0xff;
      buf[i + 2] = (dest >>> 8) & 0xff;
      buf[i + 1] = dest & 0xff;
      i += 5;
      prevMask = 0;
    } else {
      i++;
      prevMask |= 1;
      if (msByte(b)) prevMask |= 0x10;
    }
  }
}

/** Running check of one block's uncompressed data. */
function makeCheck(type: number): { update(b: Uint8Array): void; digest(): Uint8Array } {
  if (type === CHECK_CRC32) {
    let c = 0;
    return { update: (b) => void (c = crc32(b, c)), digest: () => new Uint8Array([c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24]) };
  }
  if (type === CHECK_CRC64) {
    let c = 0n;
    return {
      update: (b) => void (c = crc64(b, c)),
      digest: () => {
        const out = new Uint8Array(8);
        for (let i = 0; i < 8; i++) out[i] = Number((c >> BigInt(8 * i)) & 0xffn);
        return out;
      },
    };
  }
  if (type === CHECK_SHA256) {
    const h = sha256.create();
    return { update: (b) => void h.update(b), digest: () => h.digest() };
  }
  return { update: () => undefined, digest: () => new Uint8Array(0) };
}

/** A sink view that collects one block's output so a BCJ filter can run over it before it goes out. */
class CollectingSink {
  readonly parts: Uint8Array[] = [];
  size = 0;
}

/** .xz (`xz`, and Linux's `xz --check=crc32 --x86 --lzma2`): streams of blocks, each LZMA2 with an optional x86 BCJ filter, with index and checks verified. */
export const XZ_CODEC: Codec = {
  id: "xz",
  tool: "xz",
  matches: (bytes) => startsWith(bytes, XZ_MAGIC),
  decode(input: Uint8Array, sink: InflateSink): void {
    let ip = 0;
    while (ip < input.length && !sink.done) {
      ip = decodeXzStream(input, ip, sink);
      // stream padding: zero bytes in multiples of four
      const padStart = ip;
      while (ip < input.length && input[ip] === 0) ip++;
      if ((ip - padStart) % 4 !== 0) sink.fail("stream padding", padStart, "is not a multiple of 4 bytes");
      if (ip < input.length && !startsWith(input, XZ_MAGIC, ip)) sink.fail("stream header", ip, "trailing bytes after the stream");
    }
  },
};

/**
 * The most `input` (whole .xz streams) can inflate to, from its block and
 * LZMA2 chunk headers alone: what lets a decoder that cannot stream into the
 * cap (a native one at the Node edge) run only when its output fits.
 * Malformed framing fails through `sink`; checks are left to the decoder.
 */
export function xzOutputBound(input: Uint8Array, sink: InflateSink): number {
  let bound = 0;
  let ip = 0;
  while (ip < input.length) {
    if (input.length - ip < 24 || !startsWith(input, XZ_MAGIC, ip)) sink.fail("stream header", ip, "not an xz stream");
    const checkSize = CHECK_SIZE[input[ip + 7]! & 0x0f]!;
    ip += 12;
    while (ip < input.length && input[ip] !== 0) {
      const start = ip;
      const chunks = lzma2OutputBound(input, start + (input[start]! + 1) * 4, sink);
      bound += chunks.size;
      ip = chunks.end + ((4 - ((chunks.end - start) % 4)) % 4) + checkSize;
    }
    const indexStart = ip;
    let [count, at] = vli(input, ip + 1, input.length, sink, "index.count");
    for (let i = 0; i < 2 * count; i++) [, at] = vli(input, at, input.length, sink, "index.record");
    at += (4 - ((at - indexStart) % 4)) % 4;
    ip = at + 4 + 12; // index CRC32, stream footer
    while (ip < input.length && input[ip] === 0) ip++; // stream padding
  }
  return bound;
}

function decodeXzStream(input: Uint8Array, start: number, sink: InflateSink): number {
  if (input.length - start < 24) sink.fail("stream header", start, "truncated");
  if (!startsWith(input, XZ_MAGIC, start)) sink.fail("stream header.magic", start, "not an xz stream");
  const flags = input.subarray(start + 6, start + 8);
  if (crc32(flags) !== u32le(input, start + 8)) sink.fail("stream header.CRC32", start + 8, "does not match the stream flags");
  if (flags[0] !== 0 || flags[1]! > 0x0f) sink.fail("stream header.flags", start + 6, "reserved bits are set");
  const checkType = flags[1]!;
  if (checkType !== CHECK_NONE && checkType !== CHECK_CRC32 && checkType !== CHECK_CRC64 && checkType !== CHECK_SHA256) {
    sink.fail("stream header.check", start + 7, `check type ${checkType} is not supported (only none, CRC32, CRC64, SHA-256)`);
  }
  const checkSize = CHECK_SIZE[checkType]!;
  let ip = start + 12;
  const records: [number, number][] = [];
  for (;;) {
    if (ip >= input.length) sink.fail("block header", ip, "truncated (no index)");
    if (input[ip] === 0) break; // index indicator
    const [unpadded, uncompressed, next] = decodeXzBlock(input, ip, checkType, checkSize, sink);
    if (sink.done) return input.length;
    records.push([unpadded, uncompressed]);
    ip = next;
  }
  // index
  const indexStart = ip;
  let [count, at] = vli(input, ip + 1, input.length, sink, "index.count");
  if (count !== records.length) sink.fail("index.count", ip + 1, `lists ${count} block(s), the stream has ${records.length}`);
  for (let i = 0; i < count; i++) {
    let unpadded: number;
    let uncompressed: number;
    [unpadded, at] = vli(input, at, input.length, sink, `index.record[${i}].unpadded_size`);
    [uncompressed, at] = vli(input, at, input.length, sink, `index.record[${i}].uncompressed_size`);
    if (unpadded !== records[i]![0] || uncompressed !== records[i]![1]) sink.fail(`index.record[${i}]`, at, "does not match the block");
  }
  while ((at - indexStart) % 4 !== 0) {
    if (at >= input.length || input[at] !== 0) sink.fail("index.padding", at, "is not zero");
    at++;
  }
  if (input.length - at < 4 + 12) sink.fail("index.CRC32", at, "truncated");
  if (crc32(input.subarray(indexStart, at)) !== u32le(input, at)) sink.fail("index.CRC32", at, "does not match the index");
  at += 4;
  // footer
  const footer = at;
  if (crc32(input.subarray(footer + 4, footer + 10)) !== u32le(input, footer)) sink.fail("stream footer.CRC32", footer, "does not match");
  const backward = (u32le(input, footer + 4) + 1) * 4;
  if (backward !== footer - indexStart) sink.fail("stream footer.backward_size", footer + 4, `says the index is ${backward} bytes, it is ${footer - indexStart}`);
  if (input[footer + 8] !== flags[0] || input[footer + 9] !== flags[1]) sink.fail("stream footer.flags", footer + 8, "differ from the stream header's");
  if (!startsWith(input, XZ_FOOTER_MAGIC, footer + 10)) sink.fail("stream footer.magic", footer + 10, "is not 'YZ'");
  return footer + 12;
}

/** One block: header, LZMA2 data (through BCJ if asked), padding, check. Returns [unpadded size, uncompressed size, next offset]. */
function decodeXzBlock(input: Uint8Array, start: number, checkType: number, checkSize: number, sink: InflateSink): [number, number, number] {
  const headerSize = (input[start]! + 1) * 4;
  if (headerSize > input.length - start) sink.fail("block header.size", start, "runs past the end of the input");
  const headerEnd = start + headerSize - 4;
  if (crc32(input.subarray(start, headerEnd)) !== u32le(input, headerEnd)) sink.fail("block header.CRC32", headerEnd, "does not match the block header");
  const bflags = input[start + 1]!;
  if (bflags & 0x3c) sink.fail("block header.flags", start + 1, "reserved bits are set");
  const filterCount = (bflags & 3) + 1;
  let at = start + 2;
  let compressedSize: number | undefined;
  let uncompressedSize: number | undefined;
  if (bflags & 0x40) [compressedSize, at] = vli(input, at, headerEnd, sink, "block header.compressed_size");
  if (bflags & 0x80) [uncompressedSize, at] = vli(input, at, headerEnd, sink, "block header.uncompressed_size");
  if (uncompressedSize !== undefined && uncompressedSize > sink.maxOutput - sink.length) {
    sink.fail("block header.uncompressed_size", start, `says ${uncompressedSize} bytes, more than the cap of ${sink.maxOutput} allows`);
  }
  let bcjStart: number | undefined; // the BCJ filter's start offset, when the block has the filter
  let dictSize = 0;
  for (let f = 0; f < filterCount; f++) {
    let id: number;
    let propSize: number;
    [id, at] = vli(input, at, headerEnd, sink, `block header.filter[${f}].id`);
    [propSize, at] = vli(input, at, headerEnd, sink, `block header.filter[${f}].properties_size`);
    if (propSize > headerEnd - at) sink.fail(`block header.filter[${f}].properties`, at, "run past the block header");
    const last = f === filterCount - 1;
    if (id === FILTER_LZMA2) {
      if (!last || propSize !== 1) sink.fail(`block header.filter[${f}]`, at, "LZMA2 must be the last filter, with one property byte");
      const d = input[at]! & 0x3f;
      if (d > 40 || input[at]! & 0xc0) sink.fail(`block header.filter[${f}].dictionary`, at, `code ${input[at]} is out of range`);
      dictSize = d === 40 ? 0xffffffff : (2 | (d & 1)) * 2 ** (Math.floor(d / 2) + 11);
    } else if (id === FILTER_BCJ_CALL_JUMP) {
      if (last || (propSize !== 0 && propSize !== 4)) sink.fail(`block header.filter[${f}]`, at, "the BCJ filter (0x04) must precede LZMA2, with 0 or 4 property bytes");
      bcjStart = propSize === 4 ? u32le(input, at) : 0;
    } else {
      sink.fail(`block header.filter[${f}].id`, at, `filter 0x${id.toString(16)} is not supported (LZMA2 and the BCJ filter 0x04 are)`);
    }
    at += propSize;
  }
  for (; at < headerEnd; at++) if (input[at] !== 0) sink.fail("block header.padding", at, "is not zero");
  const dataStart = start + headerSize;
  const dataEnd = compressedSize !== undefined ? dataStart + compressedSize : input.length;
  if (dataEnd > input.length) sink.fail("block header.compressed_size", start, "runs past the end of the input");
  const check = makeCheck(checkType);
  // With BCJ the block is filtered as a whole before it goes out; without, it streams.
  const collected = bcjStart !== undefined ? new CollectingSink() : undefined;
  const target = collected
    ? new InflateSinkProxy(sink, collected)
    : sink;
  const decoder = new LzmaDecoder(dictSize, target as InflateSink, 0);
  if (!collected) decoder.onOutput = (b) => check.update(b);
  const produced = decodeLzma2(input, dataStart, dataEnd, decoder, target as InflateSink);
  if (sink.done) return [0, 0, input.length];
  if (collected) {
    const all = new Uint8Array(collected.size);
    let o = 0;
    for (const p of collected.parts) {
      all.set(p, o);
      o += p.length;
    }
    bcjCallJumpDecode(all, bcjStart!);
    check.update(all);
    sink.write(all, dataStart);
  }
  const end = produced.end;
  if (compressedSize !== undefined && end !== dataEnd) sink.fail("block header.compressed_size", start, `says ${compressedSize} bytes, the data is ${end - dataStart}`);
  if (uncompressedSize !== undefined && produced.size !== uncompressedSize) sink.fail("block header.uncompressed_size", start, `says ${uncompressedSize} bytes, the block inflates to ${produced.size}`);
  let p = end;
  while ((p - start) % 4 !== 0) {
    if (p >= input.length || input[p] !== 0) sink.fail("block padding", p, "is not zero");
    p++;
  }
  if (checkSize > input.length - p) sink.fail("block check", p, "truncated");
  const want = input.subarray(p, p + checkSize);
  const got = check.digest();
  for (let i = 0; i < checkSize; i++) if (want[i] !== got[i]) sink.fail("block check", p, `${["", "CRC32", "", "", "CRC64"][checkType] || "SHA-256"} of the inflated data does not match`);
  return [end - start + checkSize, produced.size, p + checkSize];
}

/** Routes a decoder's output into a collection (counted against the real sink's cap) instead of out. */
class InflateSinkProxy {
  constructor(
    private readonly real: InflateSink,
    private readonly into: CollectingSink,
  ) {}
  get maxOutput(): number {
    return this.real.maxOutput;
  }
  get length(): number {
    return this.real.length + this.into.size;
  }
  get done(): boolean {
    return false;
  }
  write(chunk: Uint8Array, at: number): boolean {
    if (chunk.length > this.real.maxOutput - this.length) this.real.write(new Uint8Array(this.real.maxOutput - this.real.length + 1), at);
    this.into.parts.push(chunk.slice());
    this.into.size += chunk.length;
    return true;
  }
  fail(field: string, at: number, reason: string): never {
    this.real.fail(field, at, reason);
  }
}
