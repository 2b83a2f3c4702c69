import { FormatError } from "./errors.js";

/** Longest symbol or section name accepted (bounds the work of every lookup). */
export const MAX_STRING_LENGTH = 4096;

/**
 * Bounds-checked reads from an untrusted buffer: the one reader every parser
 * uses (ELF, FDT, bzImage, arm64 Image, zImage...). Every read names the field
 * it is for, so a short or hostile file fails with a `FormatError` saying which
 * field ran past the end and where, never with a RangeError or a silently
 * wrong value. Fields come in the file's byte order (`u16`, `u32`, `u64`,
 * `word`, `i32`, `i64`) or in an explicit one (`u16le`, `u32le`, `u64le`,
 * `u32be`, `u64be`).
 */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** File name (or label) reported in errors. */
    readonly file: string,
    /** Format label reported in errors, e.g. `ELF64`, `bzImage`. */
    readonly format: string,
    /** Byte order of `u16`/`u32`/`u64`/`word`/`i32`/`i64` (default little-endian). */
    readonly littleEndian = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** A FormatError for this file and format. */
  error(field: string, offset: number | bigint | undefined, reason: string): FormatError {
    return new FormatError(this.file, this.format, field, offset, reason);
  }

  /** Throw the `FormatError` for `field` at `offset`. */
  fail(field: string, offset: number | bigint | undefined, reason: string): never {
    throw this.error(field, offset, reason);
  }

  /** True when `[offset, offset + size)` lies inside the buffer (no overflow possible: both are checked first). */
  has(offset: number | bigint, size: number | bigint): boolean {
    const o = BigInt(offset);
    const s = BigInt(size);
    return o >= 0n && s >= 0n && o <= BigInt(this.bytes.length) && s <= BigInt(this.bytes.length) - o;
  }

  /** Throws unless `[offset, offset + size)` lies inside the buffer. */
  require(field: string, offset: number | bigint, size: number | bigint): void {
    if (typeof offset === "number" && !Number.isSafeInteger(offset)) this.fail(field, undefined, `offset ${offset} is not an integer`);
    if (typeof size === "number" && !Number.isSafeInteger(size)) this.fail(field, offset, `size ${size} is not an integer`);
    if (!this.has(offset, size)) {
      this.fail(field, offset, `${BigInt(size)} byte(s) at 0x${BigInt(offset).toString(16)} run past the end of the file (0x${this.bytes.length.toString(16)} bytes)`);
    }
  }

  /** Reads an unsigned byte. */
  u8(field: string, offset: number): number {
    this.require(field, offset, 1);
    return this.view.getUint8(offset);
  }

  /** Reads an unsigned 16-bit field in the file's byte order. */
  u16(field: string, offset: number): number {
    this.require(field, offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }

  /** Reads an unsigned 32-bit field in the file's byte order. */
  u32(field: string, offset: number): number {
    this.require(field, offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** Reads an unsigned 64-bit field in the file's byte order, as a bigint. */
  u64(field: string, offset: number): bigint {
    this.require(field, offset, 8);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  /** An address-sized field: 4 bytes in ELF32, 8 in ELF64; always a bigint. */
  word(field: string, offset: number, bits: 32 | 64): bigint {
    return bits === 64 ? this.u64(field, offset) : BigInt(this.u32(field, offset));
  }

  /** Reads a signed 32-bit field in the file's byte order. */
  i32(field: string, offset: number): number {
    this.require(field, offset, 4);
    return this.view.getInt32(offset, this.littleEndian);
  }

  /** Reads a signed 64-bit field in the file's byte order, as a bigint. */
  i64(field: string, offset: number): bigint {
    this.require(field, offset, 8);
    return this.view.getBigInt64(offset, this.littleEndian);
  }

  /** Reads a little-endian 16-bit field, whatever the file's byte order. */
  u16le(field: string, offset: number): number {
    this.require(field, offset, 2);
    return this.view.getUint16(offset, true);
  }

  /** Reads a little-endian 32-bit field, whatever the file's byte order. */
  u32le(field: string, offset: number): number {
    this.require(field, offset, 4);
    return this.view.getUint32(offset, true);
  }

  /** Reads a little-endian 64-bit field as a bigint, whatever the file's byte order. */
  u64le(field: string, offset: number): bigint {
    this.require(field, offset, 8);
    return this.view.getBigUint64(offset, true);
  }

  /** Reads a big-endian 32-bit field, whatever the file's byte order. */
  u32be(field: string, offset: number): number {
    this.require(field, offset, 4);
    return this.view.getUint32(offset, false);
  }

  /** Reads a big-endian 64-bit field as a bigint, whatever the file's byte order. */
  u64be(field: string, offset: number): bigint {
    this.require(field, offset, 8);
    return this.view.getBigUint64(offset, false);
  }

  /** A view (no copy) of `[offset, offset + size)`, bounds-checked. */
  slice(field: string, offset: number | bigint, size: number | bigint): Uint8Array {
    this.require(field, offset, size);
    const o = Number(offset);
    return this.bytes.subarray(o, o + Number(size));
  }

  /**
   * A NUL-terminated string starting at `offset` whose terminator lies before
   * `end` (exclusive, clamped to the buffer): a string table entry, a note
   * name, a header string. The scan is bounded by `maxLength`.
   */
  cString(field: string, offset: number, end: number, maxLength = MAX_STRING_LENGTH): string {
    const tableEnd = Math.min(end, this.bytes.length);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= tableEnd) {
      this.fail(field, offset, `string offset 0x${offset.toString(16)} is outside its table (which ends at 0x${tableEnd.toString(16)})`);
    }
    // Bounded scan: a hostile table of one huge string must not make every lookup walk it.
    const limit = Math.min(tableEnd, offset + maxLength + 1);
    const nul = this.bytes.subarray(offset, limit).indexOf(0);
    if (nul < 0) {
      this.fail(field, offset, limit < tableEnd ? `string is longer than ${maxLength} bytes` : `string is not NUL-terminated before 0x${tableEnd.toString(16)}`);
    }
    return latin1(this.bytes.subarray(offset, offset + nul));
  }
}

/** Bytes as Latin-1 text: every byte maps to one character, nothing can fail. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 4096)));
  }
  return s;
}

/** Read little-endian u32 at `offset`, or `undefined` when out of bounds: for `probe`, which must never throw. */
export function peekU32le(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || offset + 4 > bytes.length) return undefined;
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** Read big-endian u32 at `offset`, or `undefined` when out of bounds. */
export function peekU32be(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || offset + 4 > bytes.length) return undefined;
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}
