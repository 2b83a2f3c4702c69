import { FormatError } from "./errors.js";

/**
 * Bounds-checked reads from an untrusted buffer. Every read names the field it
 * is for, so a short or hostile file fails with a `FormatError` saying which
 * field at which offset, never with a RangeError or a silently wrong value.
 */
export class BoundedReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** File name (or label) reported in errors. */
    readonly file: string,
    /** Format name reported in errors, e.g. `bzImage`. */
    readonly format: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throw the `FormatError` for `field` at `offset`. */
  fail(field: string, offset: number | bigint | undefined, reason: string): never {
    throw new FormatError(this.file, this.format, field, offset, reason);
  }

  /** True when `[offset, offset + size)` lies inside the buffer (no overflow possible: both are checked first). */
  has(offset: number, size: number): boolean {
    return (
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(size) &&
      offset >= 0 &&
      size >= 0 &&
      offset <= this.bytes.length &&
      size <= this.bytes.length - offset
    );
  }

  /** Require `[offset, offset + size)` inside the buffer, else fail naming `field`. */
  require(offset: number, size: number, field: string): void {
    if (!this.has(offset, size)) {
      this.fail(field, offset, `needs ${size} byte(s) at 0x${offset.toString(16)} but the file has ${this.bytes.length}`);
    }
  }

  /** Reads a byte; throws naming `field` when it is out of bounds. */
  u8(offset: number, field: string): number {
    this.require(offset, 1, field);
    return this.view.getUint8(offset);
  }

  /** Reads a little-endian 16-bit field; throws naming `field` when it is out of bounds. */
  u16le(offset: number, field: string): number {
    this.require(offset, 2, field);
    return this.view.getUint16(offset, true);
  }

  /** Reads a little-endian 32-bit field; throws naming `field` when it is out of bounds. */
  u32le(offset: number, field: string): number {
    this.require(offset, 4, field);
    return this.view.getUint32(offset, true);
  }

  /** Reads a little-endian 64-bit field as a bigint; throws naming `field` when it is out of bounds. */
  u64le(offset: number, field: string): bigint {
    this.require(offset, 8, field);
    return this.view.getBigUint64(offset, true);
  }

  /** Reads a big-endian 32-bit field; throws naming `field` when it is out of bounds. */
  u32be(offset: number, field: string): number {
    this.require(offset, 4, field);
    return this.view.getUint32(offset, false);
  }

  /** Reads a big-endian 64-bit field as a bigint; throws naming `field` when it is out of bounds. */
  u64be(offset: number, field: string): bigint {
    this.require(offset, 8, field);
    return this.view.getBigUint64(offset, false);
  }

  /**
   * A NUL-terminated string starting at `offset` whose terminator lies before
   * `limit` (exclusive, clamped to the buffer). Fails if there is none.
   */
  cString(offset: number, limit: number, field: string): string {
    const end = Math.min(limit, this.bytes.length);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= end) {
      this.fail(field, offset, `string starts outside its bounds (limit 0x${end.toString(16)})`);
    }
    const nul = this.bytes.indexOf(0, offset);
    if (nul < 0 || nul >= end) {
      this.fail(field, offset, `string is not NUL-terminated before 0x${end.toString(16)}`);
    }
    return LATIN1.decode(this.bytes.subarray(offset, nul));
  }

  /** Exactly `size` bytes as a view (no copy). */
  slice(offset: number, size: number, field: string): Uint8Array {
    this.require(offset, size, field);
    return this.bytes.subarray(offset, offset + size);
  }
}

/** Header strings are bytes; latin1 maps each byte to one code point and cannot fail. */
const LATIN1 = new TextDecoder("latin1");

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
