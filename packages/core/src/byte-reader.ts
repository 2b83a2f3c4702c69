import { FormatError } from "./errors.js";

/** Longest symbol or section name accepted (bounds the work of every lookup). */
export const MAX_STRING_LENGTH = 4096;

/**
 * Bounds-checked, endian-aware reads from an untrusted buffer. Every read names
 * the field it is for, so a short file produces a FormatError saying which field
 * ran past the end and where, never a RangeError.
 */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    /** File name used in errors. */
    readonly file: string,
    /** Format label used in errors, e.g. `ELF64`. */
    readonly format: string,
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

  /** Throws unless `[offset, offset + size)` lies inside the buffer. */
  require(field: string, offset: number | bigint, size: number | bigint): void {
    const o = BigInt(offset);
    const s = BigInt(size);
    if (o < 0n || s < 0n || o + s > BigInt(this.bytes.length)) {
      throw this.error(
        field,
        offset,
        `${s} byte(s) at 0x${o.toString(16)} run past the end of the file (0x${this.bytes.length.toString(16)} bytes)`,
      );
    }
  }

  /** Reads an unsigned byte; `field` names it in the error if it runs past the end. */
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

  /** A view (no copy) of `[offset, offset + size)`, bounds-checked. */
  slice(field: string, offset: number | bigint, size: number | bigint): Uint8Array {
    this.require(field, offset, size);
    const o = Number(offset);
    return this.bytes.subarray(o, o + Number(size));
  }

  /**
   * A NUL-terminated string starting at `offset` that must end before `end`
   * (exclusive): a string table entry or a note name.
   */
  cString(field: string, offset: number, end: number, maxLength = MAX_STRING_LENGTH): string {
    const tableEnd = Math.min(end, this.bytes.length);
    if (offset < 0 || offset >= tableEnd) throw this.error(field, offset, `string offset 0x${offset.toString(16)} is outside its table`);
    // Bounded scan: a hostile table of one huge string must not make every lookup walk it.
    const limit = Math.min(tableEnd, offset + maxLength + 1);
    const nul = this.bytes.subarray(offset, limit).indexOf(0);
    if (nul < 0) {
      throw this.error(field, offset, limit < tableEnd ? `string is longer than ${maxLength} bytes` : "string is not NUL-terminated inside its table");
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
