import { fitsUnsigned, hex } from "../bits.js";
import { ValidationError } from "../errors.js";

/**
 * Machine code of a hand-off stub as generated from its assembly source:
 * the bytes (hex) and the offsets of its global symbols (data-block fields).
 */
export interface StubCode {
  /** The leading bytes; the rest up to `size` are zero. */
  readonly hex: string;
  /** Total bytes, when more than `hex` spells out (trailing zeros: data-block template, scratch). */
  readonly size?: number;
  readonly symbols: Readonly<Record<string, number>>;
}

/**
 * A copy of a stub's bytes with typed writes into its data block. Every write
 * names a symbol of the stub, is bounds-checked and refuses values wider than the field.
 */
export class StubImage {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    /** Label for errors, e.g. `arm64 hand-off stub`. */
    readonly label: string,
    readonly code: StubCode,
  ) {
    if (code.hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(code.hex)) throw new ValidationError(label, "stub hex is malformed");
    const size = code.size ?? code.hex.length / 2;
    if (!Number.isSafeInteger(size) || size < code.hex.length / 2) throw new ValidationError(label, `stub size ${size} is smaller than its ${code.hex.length / 2} spelled-out bytes`);
    this.bytes = new Uint8Array(size);
    for (let i = 0; i < code.hex.length / 2; i++) this.bytes[i] = parseInt(code.hex.slice(2 * i, 2 * i + 2), 16);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Offset of a symbol (a data-block field or a label such as the failure loop). */
  offset(symbol: string): number {
    const at = this.code.symbols[symbol];
    if (at === undefined) throw new ValidationError(this.label, `no symbol '${symbol}'`);
    return at;
  }

  /** Write a little-endian unsigned field of `bytes` bytes at `symbol` + `index` * `bytes`. */
  write(symbol: string, value: bigint, bytes: 1 | 2 | 4 | 8, index = 0): this {
    const at = this.offset(symbol) + index * bytes;
    if (at < 0 || at + bytes > this.bytes.length) throw new ValidationError(this.label, `field ${symbol}[${index}] lies outside the stub`);
    if (!fitsUnsigned(value, bytes * 8)) throw new ValidationError(this.label, `${hex(value)} does not fit the ${bytes * 8}-bit field ${symbol}[${index}]`);
    if (bytes === 8) this.view.setBigUint64(at, value, true);
    else if (bytes === 4) this.view.setUint32(at, Number(value), true);
    else if (bytes === 2) this.view.setUint16(at, Number(value), true);
    else this.view.setUint8(at, Number(value));
    return this;
  }

  /** Copy raw bytes (a GDT, a table) into the field at `symbol`, refusing overflow past `limitSymbol`. */
  writeBytes(symbol: string, data: Uint8Array, limitSymbol: string): this {
    const at = this.offset(symbol);
    if (at + data.length > this.offset(limitSymbol)) throw new ValidationError(this.label, `${data.length} bytes do not fit field ${symbol}`);
    this.bytes.set(data, at);
    return this;
  }
}
