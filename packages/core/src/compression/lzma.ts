import { sha256 } from "@noble/hashes/sha2.js";
import { startsWith, type Codec, type InflateSink } from "./codec.js";
import { crc32, crc64 } from "./checksums.js";

// LZMA, LZMA2 and the .xz container, written from the public-domain LZMA SDK
// specification (lzma-specification.txt) and the .xz file format spec 1.2.0.
// No npm library offers a synchronous, streaming xz decoder with the x86 BCJ
// filter Linux uses (`xz --x86 --lzma2`) and a bounded dictionary; see README.

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const XZ_FOOTER_MAGIC = [0x59, 0x5a];
/** Largest lc+lp the LZMA2 spec allows; LZMA alone allows lc<=8, lp<=4 (probability array then gets huge, so we cap like LZMA2). */
const MAX_LC_PLUS_LP = 12;
const NUM_STATES = 12;
const POS_STATES_MAX = 16;
const END_POS_MODEL_INDEX = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;
const MATCH_MIN_LEN = 2;
/** Initial size of the dictionary buffer; it grows to the stream's dictionary size only as output arrives. */
const INITIAL_WINDOW = 1 << 20;

/** Length decoder probabilities: choice, choice2, low[16][8], mid[16][8], high[256]. */
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + POS_STATES_MAX * 8;
const LEN_HIGH = LEN_MID + POS_STATES_MAX * 8;
const LEN_SIZE = LEN_HIGH + 256;

// Offsets into one probability array.
const IS_MATCH = 0;
const IS_REP = IS_MATCH + NUM_STATES * POS_STATES_MAX;
const IS_REP_G0 = IS_REP + NUM_STATES;
const IS_REP_G1 = IS_REP_G0 + NUM_STATES;
const IS_REP_G2 = IS_REP_G1 + NUM_STATES;
const IS_REP0_LONG = IS_REP_G2 + NUM_STATES;
const POS_SLOT = IS_REP0_LONG + NUM_STATES * POS_STATES_MAX;
const SPEC_POS = POS_SLOT + 4 * 64;
const ALIGN = SPEC_POS + 1 + FULL_DISTANCES - END_POS_MODEL_INDEX;
const LEN_CODER = ALIGN + (1 << ALIGN_BITS);
const REP_LEN_CODER = LEN_CODER + LEN_SIZE;
const LITERAL = REP_LEN_CODER + LEN_SIZE;

const PROB_INIT = 1024;

/**
 * An LZMA decoder whose output window is a dictionary that grows to the
 * stream's dictionary size and then wraps; bytes leave through the sink when
 * the window fills or a chunk ends. Used by LZMA alone and by LZMA2 chunks.
 */
class LzmaDecoder {
  private probs = new Uint16Array(0);
  private lc = 0;
  private lp = 0;
  private pb = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  // dictionary
  private window: Uint8Array;
  private pos = 0;
  private flushed = 0;
  private full = false;
  /** Bytes produced since the last dictionary reset. */
  total = 0;
  // range decoder
  private range = 0;
  private code = 0;
  private ip = 0;
  private inputEnd = 0;
  private input: Uint8Array = new Uint8Array(0);
  /** Called with every run of output bytes (for checks and filters). */
  onOutput: ((bytes: Uint8Array) => void) | undefined;

  constructor(
    private readonly dictSize: number,
    private readonly sink: InflateSink,
    private readonly inputBase: number,
  ) {
    this.window = new Uint8Array(Math.max(4096, Math.min(dictSize, INITIAL_WINDOW)));
  }

  setProperties(lc: number, lp: number, pb: number, at: number): void {
    if (lc > 8 || lp > 4 || pb > 4 || lc + lp > MAX_LC_PLUS_LP) this.sink.fail("properties", this.inputBase + at, `lc=${lc} lp=${lp} pb=${pb} out of range`);
    this.lc = lc;
    this.lp = lp;
    this.pb = pb;
  }

  resetState(): void {
    const size = LITERAL + (0x300 << (this.lc + this.lp));
    if (this.probs.length !== size) this.probs = new Uint16Array(size);
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  resetDictionary(): void {
    this.flush();
    this.pos = 0;
    this.flushed = 0;
    this.full = false;
    this.total = 0;
  }

  /** Start a range decoder on `input[from, to)`. */
  beginRange(input: Uint8Array, from: number, to: number): void {
    if (to - from < 5) this.fail("range coder", from, "fewer than 5 bytes");
    if (input[from] !== 0) this.fail("range coder", from, "first byte is not 0");
    this.input = input;
    this.code = ((input[from + 1]! << 24) | (input[from + 2]! << 16) | (input[from + 3]! << 8) | input[from + 4]!) >>> 0;
    this.range = 0xffffffff;
    this.ip = from + 5;
    this.inputEnd = to;
    if (this.code === 0xffffffff) this.fail("range coder", from, "initial code is out of range");
  }

  get inputPosition(): number {
    return this.ip;
  }

  /** True when the range decoder ended cleanly (LZMA2 chunks must). */
  get rangeFinished(): boolean {
    return this.code === 0;
  }

  private fail(field: string, at: number, reason: string): never {
    this.sink.fail(field, this.inputBase + at, reason);
  }

  private bit(index: number): number {
    const p = this.probs[index]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      this.probs[index] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      this.probs[index] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      if (this.ip >= this.inputEnd) this.fail("compressed data", this.ip, "ends in the middle of a symbol");
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.input[this.ip++]!) >>> 0;
    }
    return b;
  }

  private direct(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      result = result * 2 + b;
      if (this.range < 0x1000000) {
        if (this.ip >= this.inputEnd) this.fail("compressed data", this.ip, "ends in the middle of a symbol");
        this.range = (this.range * 256) >>> 0;
        this.code = ((this.code * 256) + this.input[this.ip++]!) >>> 0;
      }
    }
    return result;
  }

  private tree(base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(base + m);
    return m - (1 << bits);
  }

  private reverseTree(base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  private length(base: number, posState: number): number {
    if (this.bit(base + LEN_CHOICE) === 0) return this.tree(base + LEN_LOW + posState * 8, 3);
    if (this.bit(base + LEN_CHOICE2) === 0) return 8 + this.tree(base + LEN_MID + posState * 8, 3);
    return 16 + this.tree(base + LEN_HIGH, 8);
  }

  private byteAt(distance: number): number {
    let i = this.pos - distance - 1;
    if (i < 0) i += this.window.length;
    return this.window[i]!;
  }

  private put(b: number): void {
    if (this.pos === this.window.length) this.makeRoom();
    this.window[this.pos++] = b;
    this.total++;
  }

  /** The window is full: grow it toward the dictionary size, or hand its bytes out and wrap. */
  private makeRoom(): void {
    if (this.window.length < this.dictSize) {
      this.flush();
      const grown = new Uint8Array(Math.min(this.dictSize, this.window.length * 2));
      grown.set(this.window);
      this.window = grown;
      return;
    }
    this.flush();
    this.pos = 0;
    this.flushed = 0;
    this.full = true;
  }

  /** Hand out the bytes produced since the last flush. */
  flush(): void {
    if (this.pos > this.flushed) {
      const out = this.window.subarray(this.flushed, this.pos);
      this.onOutput?.(out);
      this.sink.write(out, this.ip);
      this.flushed = this.pos;
    }
  }

  /**
   * Decode until `limit` more bytes are out (LZMA2 chunk) or, with `limit`
   * undefined, until the end marker. Returns true when an end marker was read.
   */
  decode(limit: number | undefined): boolean {
    const lpMask = (1 << this.lp) - 1;
    const pbMask = (1 << this.pb) - 1;
    const end = limit === undefined ? Number.POSITIVE_INFINITY : this.total + limit;
    while (this.total < end) {
      if (this.sink.done) return false;
      const posState = this.total & pbMask;
      const state = this.state;
      if (this.bit(IS_MATCH + state * POS_STATES_MAX + posState) === 0) {
        const prev = this.total > 0 ? this.byteAt(0) : 0;
        const base = LITERAL + 0x300 * (((this.total & lpMask) << this.lc) + (prev >>> (8 - this.lc)));
        let symbol = 1;
        if (state >= 7) {
          let matchByte = this.byteAt(this.rep0);
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            const b = this.bit(base + 0x100 + (matchBit << 8) + symbol);
            symbol = (symbol << 1) | b;
            if (matchBit !== b) break;
          } while (symbol < 0x100);
        }
        while (symbol < 0x100) symbol = (symbol << 1) | this.bit(base + symbol);
        this.put(symbol & 0xff);
        this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.bit(IS_REP + state) === 0) {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.length(LEN_CODER, posState);
        this.state = state < 7 ? 7 : 10;
        const slot = this.tree(POS_SLOT + Math.min(len, 3) * 64, 6);
        let dist: number;
        if (slot < 4) dist = slot;
        else {
          const direct = (slot >>> 1) - 1;
          dist = (2 | (slot & 1)) * 2 ** direct;
          if (slot < END_POS_MODEL_INDEX) dist += this.reverseTree(SPEC_POS + dist - slot, direct);
          else dist += this.direct(direct - ALIGN_BITS) * 16 + this.reverseTree(ALIGN, ALIGN_BITS);
        }
        if (dist === 0xffffffff) {
          if (limit !== undefined) this.fail("compressed data", this.ip, "end marker inside an LZMA2 chunk");
          return true;
        }
        this.rep0 = dist;
      } else {
        if (this.total === 0) this.fail("compressed data", this.ip, "repeated match before any output");
        if (this.bit(IS_REP_G0 + state) === 0) {
          if (this.bit(IS_REP0_LONG + state * POS_STATES_MAX + posState) === 0) {
            this.state = state < 7 ? 9 : 11;
            this.put(this.byteAt(this.rep0));
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(IS_REP_G1 + state) === 0) dist = this.rep1;
          else {
            if (this.bit(IS_REP_G2 + state) === 0) dist = this.rep2;
            else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.length(REP_LEN_CODER, posState);
        this.state = state < 7 ? 8 : 11;
      }
      // copy the match
      const rep0 = this.rep0;
      if (rep0 >= this.total || (!this.full && rep0 >= this.pos) || rep0 >= this.dictSize) {
        this.fail("compressed data", this.ip, `match distance ${rep0 + 1} reaches before the start of the output`);
      }
      let n = len + MATCH_MIN_LEN;
      if (n > end - this.total) {
        if (limit !== undefined) this.fail("compressed data", this.ip, "match runs past the chunk's uncompressed size");
        n = end - this.total;
      }
      for (; n > 0; n--) {
        if (this.pos === this.window.length) this.makeRoom();
        const win = this.window;
        let from = this.pos - rep0 - 1;
        if (from < 0) from += win.length;
        win[this.pos++] = win[from]!;
        this.total++;
      }
    }
    return false;
  }

  /** Append stored bytes (an LZMA2 uncompressed chunk). */
  copyStored(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.put(bytes[i]!);
  }
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function isPlausibleDictSize(d: number): boolean {
  // `lzma` writes 2^n or 2^n + 2^(n-1) (xz's lzma_alone encoder rounds up to these).
  for (let n = 12; n <= 31; n++) if (d === 2 ** n || d === 2 ** n + 2 ** (n - 1)) return true;
  return d === 0xffffffff;
}

/** LZMA alone (`.lzma`, `lzma -z`): 13-byte header (properties, dictionary size, uncompressed size or -1), then the range-coded data. */
export const LZMA_CODEC: Codec = {
  id: "lzma",
  tool: "lzma",
  matches(bytes) {
    // No magic: properties byte < 225 (lc=3 lp=0 pb=2 = 0x5d is what every tool writes), a dictionary size a tool writes, a sane size, range coder's first byte 0.
    if (bytes.length < 14 || bytes[0] !== 0x5d) return false;
    if (!isPlausibleDictSize(u32le(bytes, 1))) return false;
    const hi = u32le(bytes, 9);
    const lo = u32le(bytes, 5);
    const unknown = hi === 0xffffffff && lo === 0xffffffff;
    return (unknown || hi < 0x100) && bytes[13] === 0;
  },
  decode(input: Uint8Array, sink: InflateSink): void {
    if (input.length < 13) sink.fail("header", 0, `needs 13 bytes, the stream has ${input.length}`);
    let props = input[0]!;
    if (props >= 9 * 5 * 5) sink.fail("header.properties", 0, `${props} is not below 225`);
    const lc = props % 9;
    props = (props / 9) | 0;
    const lp = props % 5;
    const pb = (props / 5) | 0;
    const dictSize = Math.max(4096, u32le(input, 1));
    const lo = u32le(input, 5);
    const hi = u32le(input, 9);
    const known = !(lo === 0xffffffff && hi === 0xffffffff);
    const size = hi * 2 ** 32 + lo;
    if (known && size > sink.maxOutput) sink.fail("header.uncompressed_size", 5, `says ${size} bytes, more than the cap of ${sink.maxOutput}`);
    const decoder = new LzmaDecoder(known ? Math.min(dictSize, Math.max(size, 4096)) : dictSize, sink, 0);
    decoder.setProperties(lc, lp, pb, 0);
    decoder.resetState();
    decoder.beginRange(input, 13, input.length);
    const marker = decoder.decode(known ? size : undefined);
    decoder.flush();
    if (sink.done) return;
    if (known && !marker && decoder.total !== size) sink.fail("compressed data", decoder.inputPosition, `ends after ${decoder.total} of ${size} bytes`);
    if (known && !marker && decoder.inputPosition < input.length) {
      // an end marker may follow even when the size is known
      if (!decoder.decode(undefined)) sink.fail("compressed data", decoder.inputPosition, "data continues past the uncompressed size");
    }
    if (decoder.inputPosition !== input.length) sink.fail("compressed data", decoder.inputPosition, `${input.length - decoder.inputPosition} byte(s) follow the end of the stream`);
  },
};

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
const FILTER_X86 = 0x04;

/** BCJ x86 decoder (xz spec §5.3.3, the x86 branch converter): turns absolute CALL/JMP targets back to relative. */
export function bcjX86Decode(buf: Uint8Array, startOffset: number): void {
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
  let x86: number | undefined;
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
    } else if (id === FILTER_X86) {
      if (last || (propSize !== 0 && propSize !== 4)) sink.fail(`block header.filter[${f}]`, at, "x86 BCJ must precede LZMA2, with 0 or 4 property bytes");
      x86 = propSize === 4 ? u32le(input, at) : 0;
    } else {
      sink.fail(`block header.filter[${f}].id`, at, `filter 0x${id.toString(16)} is not supported (LZMA2 and x86 BCJ are)`);
    }
    at += propSize;
  }
  for (; at < headerEnd; at++) if (input[at] !== 0) sink.fail("block header.padding", at, "is not zero");
  const dataStart = start + headerSize;
  const dataEnd = compressedSize !== undefined ? dataStart + compressedSize : input.length;
  if (dataEnd > input.length) sink.fail("block header.compressed_size", start, "runs past the end of the input");
  const check = makeCheck(checkType);
  // With BCJ the block is filtered as a whole before it goes out; without, it streams.
  const collected = x86 !== undefined ? new CollectingSink() : undefined;
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
    bcjX86Decode(all, x86!);
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

/** LZMA2 chunks (xz spec §5.3.1; the chunk format is in xz-embedded's and liblzma's documentation). */
function decodeLzma2(input: Uint8Array, start: number, end: number, decoder: LzmaDecoder, sink: InflateSink): { end: number; size: number } {
  let ip = start;
  let size = 0;
  let needDictReset = true;
  let needProps = true;
  for (;;) {
    if (sink.done) return { end: ip, size };
    if (ip >= end) sink.fail("LZMA2 chunk", ip, "truncated (no end marker)");
    const control = input[ip]!;
    if (control === 0x00) {
      decoder.flush();
      return { end: ip + 1, size };
    }
    if (control === 0x01 || control === 0x02) {
      if (end - ip < 3) sink.fail("LZMA2 chunk", ip, "truncated header");
      const n = ((input[ip + 1]! << 8) | input[ip + 2]!) + 1;
      if (control === 0x01) {
        decoder.resetDictionary();
        needDictReset = false;
      } else if (needDictReset) sink.fail("LZMA2 chunk.control", ip, "first chunk does not reset the dictionary");
      if (n > end - ip - 3) sink.fail("LZMA2 chunk.size", ip + 1, "stored chunk runs past the end of the block");
      decoder.copyStored(input.subarray(ip + 3, ip + 3 + n));
      decoder.flush();
      size += n;
      ip += 3 + n;
      continue;
    }
    if (control < 0x80) sink.fail("LZMA2 chunk.control", ip, `0x${control.toString(16)} is not a chunk type`);
    if (end - ip < 5) sink.fail("LZMA2 chunk", ip, "truncated header");
    const unpacked = ((control & 0x1f) << 16) + (input[ip + 1]! << 8) + input[ip + 2]! + 1;
    const packed = (input[ip + 3]! << 8) + input[ip + 4]! + 1;
    const reset = (control >>> 5) & 3;
    let at = ip + 5;
    if (reset === 3) {
      decoder.resetDictionary();
      needDictReset = false;
    } else if (needDictReset) sink.fail("LZMA2 chunk.control", ip, "first chunk does not reset the dictionary");
    if (reset >= 2) {
      if (at >= end) sink.fail("LZMA2 chunk.properties", at, "truncated");
      let props = input[at]!;
      if (props >= 9 * 5 * 5) sink.fail("LZMA2 chunk.properties", at, `${props} is not below 225`);
      const lc = props % 9;
      props = (props / 9) | 0;
      decoder.setProperties(lc, props % 5, (props / 5) | 0, at);
      at++;
      needProps = false;
    } else if (needProps) sink.fail("LZMA2 chunk.control", ip, "chunk needs properties set by an earlier chunk");
    if (reset >= 1) decoder.resetState();
    if (packed > end - at) sink.fail("LZMA2 chunk.packed_size", ip + 3, "runs past the end of the block");
    decoder.beginRange(input, at, at + packed);
    decoder.decode(unpacked);
    if (sink.done) return { end: ip, size };
    if (decoder.inputPosition !== at + packed || !decoder.rangeFinished) sink.fail("LZMA2 chunk.packed_size", ip + 3, `data ends at 0x${decoder.inputPosition.toString(16)}, not at the chunk's end 0x${(at + packed).toString(16)}`);
    decoder.flush();
    size += unpacked;
    ip = at + packed;
  }
}
