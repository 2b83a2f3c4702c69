import { startsWith, type Codec, type InflateSink } from "./codec.js";
import { crc32be } from "./checksums.js";

// bzip2, written from the format as bzip2 1.0.8 writes it (Seward's
// bzip2 manual and Joe Tsai's "bzip2 format" notes): blocks of Huffman-coded
// MTF/RLE2 symbols over a Burrows-Wheeler transform, then RLE1. The npm
// decoders are either Node-Buffer based (seek-bzip), one-shot (bz2), async
// WASM needing the output size (wasm-bz2) or GPL (compressjs); see README.

const BLOCK_MAGIC_HI = 0x314159;
const BLOCK_MAGIC_LO = 0x265359;
const EOS_MAGIC_HI = 0x177245;
const EOS_MAGIC_LO = 0x385090;
const MAX_GROUPS = 6;
const MIN_GROUPS = 2;
const GROUP_SIZE = 50;
const MAX_CODE_LENGTH = 20;
/** bzip2 1.0.8 reads at most this many selectors (BZ_MAX_SELECTORS, CVE-2019-12900). */
const MAX_SELECTORS = 18002;

class BitReader {
  private bitPos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly sink: InflateSink,
    start: number,
  ) {
    this.bitPos = start * 8;
  }
  get byteOffset(): number {
    return this.bitPos >>> 3;
  }
  alignToByte(): void {
    this.bitPos = (this.bitPos + 7) & ~7;
  }
  bits(n: number, field: string): number {
    if (this.bitPos + n > this.bytes.length * 8) this.sink.fail(field, this.bitPos >>> 3, "stream ends early");
    let v = 0;
    for (let i = 0; i < n; i++) {
      const p = this.bitPos++;
      v = v * 2 + ((this.bytes[p >>> 3]! >>> (7 - (p & 7))) & 1);
    }
    return v;
  }
  bit(field: string): number {
    const p = this.bitPos;
    if (p >= this.bytes.length * 8) this.sink.fail(field, p >>> 3, "stream ends early");
    this.bitPos = p + 1;
    return (this.bytes[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }
}

interface HuffmanTable {
  minLen: number;
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
}

function buildTable(lengths: Uint8Array, alphaSize: number): HuffmanTable {
  let minLen = 32;
  let maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    minLen = Math.min(minLen, lengths[i]!);
    maxLen = Math.max(maxLen, lengths[i]!);
  }
  const perm = new Int32Array(alphaSize);
  let pp = 0;
  for (let len = minLen; len <= maxLen; len++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) perm[pp++] = s;
  const count = new Int32Array(MAX_CODE_LENGTH + 2);
  for (let i = 0; i < alphaSize; i++) count[lengths[i]!]!++;
  const limit = new Int32Array(MAX_CODE_LENGTH + 2).fill(-1);
  const base = new Int32Array(MAX_CODE_LENGTH + 2);
  let code = 0;
  let index = 0;
  for (let len = minLen; len <= maxLen; len++) {
    base[len] = index - code; // perm index = code - (code_start - index_start)
    code += count[len]!;
    index += count[len]!;
    limit[len] = code - 1;
    code <<= 1;
  }
  return { minLen, limit, base, perm };
}

/** bzip2 (`bzip2`): one or more streams of blocks, each block's and each stream's CRC checked. */
export const BZIP2_CODEC: Codec = {
  id: "bzip2",
  tool: "bzip2",
  matches: (bytes) => startsWith(bytes, [0x42, 0x5a, 0x68]) && bytes.length > 3 && bytes[3]! >= 0x31 && bytes[3]! <= 0x39,
  decode(input: Uint8Array, sink: InflateSink): void {
    let at = 0;
    while (at < input.length && !sink.done) {
      if (!BZIP2_CODEC.matches(input.subarray(at))) sink.fail("stream header", at, "trailing bytes are not a bzip2 stream");
      at = decodeStream(input, at, sink);
    }
  },
};

function decodeStream(input: Uint8Array, start: number, sink: InflateSink): number {
  const blockMax = (input[start + 3]! - 0x30) * 100_000;
  const r = new BitReader(input, sink, start + 4);
  const tt = new Uint32Array(blockMax);
  const out = new Uint8Array(blockMax * 2 > 1 << 20 ? 1 << 20 : blockMax * 2);
  let combined = 0;
  for (;;) {
    const blockAt = r.byteOffset;
    const hi = r.bits(24, "block.magic");
    const lo = r.bits(24, "block.magic");
    if (hi === EOS_MAGIC_HI && lo === EOS_MAGIC_LO) {
      const crcAt = r.byteOffset;
      const streamCrc = r.bits(32, "stream.CRC");
      if (streamCrc !== combined) sink.fail("stream.CRC", crcAt, `0x${streamCrc.toString(16)} does not match the blocks' 0x${combined.toString(16)}`);
      r.alignToByte();
      return r.byteOffset;
    }
    if (hi !== BLOCK_MAGIC_HI || lo !== BLOCK_MAGIC_LO) sink.fail("block.magic", blockAt, "is neither a block nor the end-of-stream marker");
    const crcAt = r.byteOffset;
    const blockCrc = r.bits(32, "block.CRC");
    if (r.bit("block.randomised")) sink.fail("block.randomised", r.byteOffset, "randomised blocks (bzip2 0.9.0) are not supported");
    const origPtr = r.bits(24, "block.origPtr");
    // symbol map
    const used = r.bits(16, "block.symbol_map");
    const seqToUnseq = new Uint8Array(256);
    let inUse = 0;
    for (let i = 0; i < 16; i++) {
      if (used & (0x8000 >>> i)) {
        const bits = r.bits(16, "block.symbol_map");
        for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) seqToUnseq[inUse++] = i * 16 + j;
      }
    }
    if (inUse === 0) sink.fail("block.symbol_map", r.byteOffset, "no symbols in use");
    const alphaSize = inUse + 2;
    const groups = r.bits(3, "block.groups");
    if (groups < MIN_GROUPS || groups > MAX_GROUPS) sink.fail("block.groups", r.byteOffset, `${groups} is not 2..6`);
    const selectorCount = r.bits(15, "block.selectors");
    if (selectorCount === 0) sink.fail("block.selectors", r.byteOffset, "no selectors");
    const mtfGroups = [0, 1, 2, 3, 4, 5].slice(0, groups);
    const selectors = new Uint8Array(Math.min(selectorCount, MAX_SELECTORS));
    for (let i = 0; i < selectorCount; i++) {
      let j = 0;
      while (r.bit("block.selector")) {
        j++;
        if (j >= groups) sink.fail("block.selector", r.byteOffset, "selector index out of range");
      }
      const g = mtfGroups[j]!;
      mtfGroups.splice(j, 1);
      mtfGroups.unshift(g);
      if (i < MAX_SELECTORS) selectors[i] = g;
    }
    const tables: HuffmanTable[] = [];
    for (let g = 0; g < groups; g++) {
      const lengths = new Uint8Array(alphaSize);
      let len = r.bits(5, "block.code_lengths");
      for (let s = 0; s < alphaSize; s++) {
        for (;;) {
          if (len < 1 || len > MAX_CODE_LENGTH) sink.fail("block.code_lengths", r.byteOffset, `length ${len} is not 1..20`);
          if (!r.bit("block.code_lengths")) break;
          len += r.bit("block.code_lengths") ? -1 : 1;
        }
        lengths[s] = len;
      }
      tables.push(buildTable(lengths, alphaSize));
    }
    // Huffman + RLE2 + MTF decode into tt
    const mtf = new Uint8Array(256);
    for (let i = 0; i < 256; i++) mtf[i] = i;
    const counts = new Int32Array(256);
    let n = 0;
    let groupLeft = 0;
    let selector = 0;
    let table = tables[0]!;
    let runLength = 0;
    let runWeight = 1;
    const eob = alphaSize - 1;
    for (;;) {
      if (groupLeft === 0) {
        if (selector >= selectors.length) sink.fail("block.selectors", r.byteOffset, "data needs more selectors than the block has");
        table = tables[selectors[selector++]!]!;
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;
      let len = table.minLen;
      let code = r.bits(len, "block.data");
      while (len <= MAX_CODE_LENGTH && code > table.limit[len]!) {
        len++;
        code = code * 2 + r.bit("block.data");
      }
      if (len > MAX_CODE_LENGTH) sink.fail("block.data", r.byteOffset, "invalid Huffman code");
      const idx = code + table.base[len]!;
      if (idx < 0 || idx >= alphaSize) sink.fail("block.data", r.byteOffset, "invalid Huffman code");
      const sym = table.perm[idx]!;
      if (sym <= 1) {
        // RUNA / RUNB: bijective base-2 run of the front symbol
        runLength += runWeight << sym;
        runWeight <<= 1;
        if (runLength > blockMax) sink.fail("block.data", r.byteOffset, `run exceeds the block size ${blockMax}`);
        continue;
      }
      if (runLength > 0) {
        if (n + runLength > blockMax) sink.fail("block.data", r.byteOffset, `block exceeds its size ${blockMax}`);
        const b = seqToUnseq[mtf[0]!]!;
        counts[b]! += runLength;
        tt.fill(b, n, n + runLength);
        n += runLength;
        runLength = 0;
        runWeight = 1;
      }
      if (sym === eob) break;
      const k = sym - 1;
      if (k >= inUse) sink.fail("block.data", r.byteOffset, "MTF index out of range");
      const v = mtf[k]!;
      mtf.copyWithin(1, 0, k);
      mtf[0] = v;
      if (n >= blockMax) sink.fail("block.data", r.byteOffset, `block exceeds its size ${blockMax}`);
      const b = seqToUnseq[v]!;
      counts[b]!++;
      tt[n++] = b;
    }
    if (origPtr >= n) sink.fail("block.origPtr", crcAt + 4, `${origPtr} is outside the block of ${n}`);
    // inverse BWT
    let sum = 0;
    const cftab = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      cftab[i] = sum;
      sum += counts[i]!;
    }
    for (let i = 0; i < n; i++) {
      const b = tt[i]! & 0xff;
      tt[cftab[b]!++]! |= i << 8;
    }
    // walk + RLE1
    let crc = 0;
    let pos = tt[origPtr]! >>> 8;
    let o = 0;
    let last = -1;
    let same = 0;
    const emit = () => {
      crc = crc32be(out.subarray(0, o), crc);
      sink.write(out.subarray(0, o), blockAt);
      o = 0;
    };
    for (let i = 0; i < n; i++) {
      const entry = tt[pos]!;
      const b = entry & 0xff;
      pos = entry >>> 8;
      if (same === 4) {
        // the byte after four equal ones is a repeat count
        if (b > out.length - o) emit();
        out.fill(last, o, o + b);
        o += b;
        same = 0;
        last = -1;
        continue;
      }
      if (b === last) same++;
      else {
        last = b;
        same = 1;
      }
      if (o === out.length) emit();
      out[o++] = b;
      if (sink.done) return input.length;
    }
    emit();
    if (sink.done) return input.length;
    if (crc !== blockCrc) sink.fail("block.CRC", crcAt, `0x${blockCrc.toString(16)} does not match the block's 0x${crc.toString(16)}`);
    combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
  }
}
