// Checksums the compressed and container formats carry. Table-driven; each is
// a pure function of its input so decoders can verify as they stream.

function makeTable(poly: number, reflected: boolean): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = reflected ? n : n << 24;
    for (let k = 0; k < 8; k++) {
      if (reflected) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
      else c = c & 0x80000000 ? (c << 1) ^ poly : c << 1;
    }
    t[n] = c >>> 0;
  }
  return t;
}

const CRC32_TABLE = makeTable(0xedb88320, true);
const CRC32_BE_TABLE = makeTable(0x04c11db7, false);

/** CRC-32 (ISO 3309 / ITU-T V.42, as gzip, xz and U-Boot use it); `crc` continues a previous value. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC32_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The non-reflected CRC-32 bzip2 uses for its block and stream checks. */
export function crc32be(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (CRC32_BE_TABLE[((c >>> 24) ^ bytes[i]!) & 0xff]! ^ (c << 8)) >>> 0;
  return ~c >>> 0;
}

// CRC-64/XZ (ECMA-182 polynomial, reflected), kept as two 32-bit halves for speed.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
{
  const polyLo = 0xd7870f42;
  const polyHi = 0xc96c5795;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    CRC64_LO[n] = lo;
    CRC64_HI[n] = hi;
  }
}

/** CRC-64 as xz uses it; returns the value as a bigint. `crc` continues a previous value. */
export function crc64(bytes: Uint8Array, crc = 0n): bigint {
  let lo = ~Number(crc & 0xffffffffn) >>> 0;
  let hi = ~Number(crc >> 32n) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    const idx = (lo ^ bytes[i]!) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ CRC64_HI[idx]!) >>> 0;
  }
  return (BigInt(~hi >>> 0) << 32n) | BigInt(~lo >>> 0);
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function rd32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** xxHash32 (the checksum of LZ4 frames). */
export function xxh32(b: Uint8Array, seed: number): number {
  const len = b.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = len - 16;
    while (i <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(rd32(b, i), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(rd32(b, i + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(rd32(b, i + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(rd32(b, i + 12), P2)) | 0, 13), P1);
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (i + 4 <= len) {
    h = Math.imul(rotl((h + Math.imul(rd32(b, i), P3)) | 0, 17), P4);
    i += 4;
  }
  while (i < len) {
    h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1);
    i++;
  }
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}
