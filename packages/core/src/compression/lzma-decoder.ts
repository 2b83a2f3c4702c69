// The LZMA range decoder and literal/match model, written from the public-domain
// LZMA SDK specification (lzma-specification.txt). Shared by LZMA alone (lzma.ts)
// and LZMA2 chunks (lzma2.ts).
import type { InflateSink } from "./codec.js";

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
export class LzmaDecoder {
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
