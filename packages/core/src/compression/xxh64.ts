// XXH64 (xxHash spec, doc/xxhash_spec.md "XXH64 algorithm description"): the
// content checksum of Zstandard frames (RFC 8878 §3.1.1: the low 4 bytes of
// XXH64 with seed 0, little-endian). Written here rather than taken from npm:
// the decoder needs it synchronously and streaming, in a browser too, and the
// npm choices are WebAssembly with an async start (xxhash-wasm, hash-wasm) or
// native addons. 64-bit words are kept as two unsigned 32-bit halves: BigInt
// arithmetic per 8 input bytes would be several times slower.
import { u32le } from "./codec.js";

const P1_HI = 0x9e3779b1, P1_LO = 0x85ebca87;
const P2_HI = 0xc2b2ae3d, P2_LO = 0x27d4eb4f;
const P3_HI = 0x165667b1, P3_LO = 0x9e3779f9;
const P4_HI = 0x85ebca77, P4_LO = 0xc2b2ae63;
const P5_HI = 0x27d4eb2f, P5_LO = 0x165667c5;
const STRIPE = 32;
const TWO32 = 4294967296;

/**
 * The result register of the 64-bit helpers below, [hi, lo]: a typed array, so
 * values past 2^31 are stored unboxed (module-level `let`s would allocate a
 * heap number per step).
 */
const R = new Uint32Array(2);

/** (ah:al) * (bh:bl) mod 2^64 into R[0]!:R[1]!. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33, exact
  const low = a0 * b0 + (mid % 65536) * 65536; // < 2^33, exact
  R[1] = low >>> 0;
  R[0] = (a1 * b1 + Math.floor(mid / 65536) + Math.floor(low / TWO32) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah:al) + (bh:bl) mod 2^64 into R[0]!:R[1]!. */
function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  R[1] = low >>> 0;
  R[0] = (ah + bh + (low >= TWO32 ? 1 : 0)) >>> 0;
}

/** Rotate (h:l) left by r (0 < r < 32) into R[0]!:R[1]!. */
function rotl(h: number, l: number, r: number): void {
  R[0] = ((h << r) | (l >>> (32 - r))) >>> 0;
  R[1] = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** round(acc, input) = rotl(acc + input * P2, 31) * P1, into R[0]!:R[1]!. */
function round(acch: number, accl: number, ih: number, il: number): void {
  mul(ih, il, P2_HI, P2_LO);
  add(acch, accl, R[0]!, R[1]!);
  rotl(R[0]!, R[1]!, 31);
  mul(R[0]!, R[1]!, P1_HI, P1_LO);
}

/** High 32 bits of the 64-bit product of two unsigned 32-bit numbers (16-bit limbs keep every step exact). */
function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** The hot loop's round on accumulator v[i] (hi), v[i + 1] (lo), all in locals: rotl(acc + input * P2, 31) * P1. */
function laneRound(v: Uint32Array, i: number, ih: number, il: number): void {
  // t = input * P2
  const tl = Math.imul(il, P2_LO) >>> 0;
  const th = (mulHigh(il, P2_LO) + Math.imul(ih, P2_LO) + Math.imul(il, P2_HI)) >>> 0;
  // acc += t
  const al = v[i + 1]! + tl;
  const sl = al >>> 0;
  const sh = (v[i]! + th + (al > 0xffffffff ? 1 : 0)) >>> 0;
  // rotl 31
  const rh = ((sh << 31) | (sl >>> 1)) >>> 0;
  const rl = ((sl << 31) | (sh >>> 1)) >>> 0;
  // * P1
  v[i + 1] = Math.imul(rl, P1_LO);
  v[i] = mulHigh(rl, P1_LO) + Math.imul(rh, P1_LO) + Math.imul(rl, P1_HI);
}


/** Streaming XXH64: `update` with chunks in order, then `digest`. */
export class Xxh64 {
  /** Accumulators v1..v4 as [hi, lo] pairs. */
  private readonly v = new Uint32Array(8);
  private readonly pending = new Uint8Array(STRIPE);
  private pendingLength = 0;
  /** Total length, exact up to 2^53 bytes. */
  private total = 0;

  constructor(private readonly seed = 0) {
    const v = this.v;
    add(0, seed, P1_HI, P1_LO);
    add(R[0]!, R[1]!, P2_HI, P2_LO);
    v[0] = R[0]!; v[1] = R[1]!;
    v[2] = P2_HI; v[3] = P2_LO;
    add(0, seed, P2_HI, P2_LO);
    v[2] = R[0]!; v[3] = R[1]!;
    v[4] = 0; v[5] = seed >>> 0;
    // seed - P1 = seed + (2^64 - P1)
    add(0, seed, ~P1_HI >>> 0, (~P1_LO + 1) >>> 0);
    v[6] = R[0]!; v[7] = R[1]!;
  }

  /** Feed the next bytes. */
  update(bytes: Uint8Array): this {
    this.total += bytes.length;
    let at = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(STRIPE - this.pendingLength, bytes.length);
      this.pending.set(bytes.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      at = take;
      if (this.pendingLength < STRIPE) return this;
      this.stripes(this.pending, 0, STRIPE);
      this.pendingLength = 0;
    }
    const whole = at + Math.floor((bytes.length - at) / STRIPE) * STRIPE;
    this.stripes(bytes, at, whole);
    this.pending.set(bytes.subarray(whole), 0);
    this.pendingLength = bytes.length - whole;
    return this;
  }

  private stripes(b: Uint8Array, from: number, to: number): void {
    const v = this.v;
    for (let p = from; p < to; p += STRIPE) {
      laneRound(v, 0, u32le(b, p + 4), u32le(b, p));
      laneRound(v, 2, u32le(b, p + 12), u32le(b, p + 8));
      laneRound(v, 4, u32le(b, p + 20), u32le(b, p + 16));
      laneRound(v, 6, u32le(b, p + 28), u32le(b, p + 24));
    }
  }

  /** The 64-bit hash as a bigint. */
  digest(): bigint {
    let hh: number, hl: number;
    const v = this.v;
    if (this.total >= STRIPE) {
      rotl(v[0]!, v[1]!, 1); hh = R[0]!; hl = R[1]!;
      rotl(v[2]!, v[3]!, 7); add(hh, hl, R[0]!, R[1]!); hh = R[0]!; hl = R[1]!;
      rotl(v[4]!, v[5]!, 12); add(hh, hl, R[0]!, R[1]!); hh = R[0]!; hl = R[1]!;
      rotl(v[6]!, v[7]!, 18); add(hh, hl, R[0]!, R[1]!); hh = R[0]!; hl = R[1]!;
      for (let i = 0; i < 8; i += 2) {
        // mergeRound: (acc ^ round(0, v)) * P1 + P4
        round(0, 0, v[i]!, v[i + 1]!);
        mul((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, P1_HI, P1_LO);
        add(R[0]!, R[1]!, P4_HI, P4_LO); hh = R[0]!; hl = R[1]!;
      }
    } else {
      add(0, this.seed, P5_HI, P5_LO); hh = R[0]!; hl = R[1]!;
    }
    add(hh, hl, Math.floor(this.total / TWO32) >>> 0, this.total >>> 0); hh = R[0]!; hl = R[1]!;
    return this.finish(hh, hl);
  }

  /** The tail (< 32 bytes) and the avalanche. */
  private finish(hh: number, hl: number): bigint {
    const b = this.pending;
    const n = this.pendingLength;
    let p = 0;
    for (; p + 8 <= n; p += 8) {
      round(0, 0, u32le(b, p + 4), u32le(b, p));
      rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 27);
      mul(R[0]!, R[1]!, P1_HI, P1_LO);
      add(R[0]!, R[1]!, P4_HI, P4_LO); hh = R[0]!; hl = R[1]!;
    }
    if (p + 4 <= n) {
      mul(0, u32le(b, p), P1_HI, P1_LO);
      rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 23);
      mul(R[0]!, R[1]!, P2_HI, P2_LO);
      add(R[0]!, R[1]!, P3_HI, P3_LO); hh = R[0]!; hl = R[1]!;
      p += 4;
    }
    for (; p < n; p++) {
      mul(0, b[p]!, P5_HI, P5_LO);
      rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 11);
      mul(R[0]!, R[1]!, P1_HI, P1_LO); hh = R[0]!; hl = R[1]!;
    }
    // avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32
    hl = (hl ^ (hh >>> 1)) >>> 0;
    mul(hh, hl, P2_HI, P2_LO); hh = R[0]!; hl = R[1]!;
    const low29 = ((hl >>> 29) | (hh << 3)) >>> 0;
    hh = (hh ^ (hh >>> 29)) >>> 0;
    hl = (hl ^ low29) >>> 0;
    mul(hh, hl, P3_HI, P3_LO); hh = R[0]!; hl = R[1]!;
    hl = (hl ^ hh) >>> 0;
    return (BigInt(hh) << 32n) | BigInt(hl);
  }
}
