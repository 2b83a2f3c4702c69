import { FormatError, type HandoffErrorOptions } from "../errors.js";

/** The codecs Linux compresses kernels with (and that `handoff` inflates). */
export type CodecId = "gzip" | "xz" | "lzma" | "zstd" | "lz4" | "bzip2";

/**
 * Where decompressed bytes go. A decoder hands its output over in chunks as it
 * produces them; the sink counts them against the caller's cap before keeping
 * any, so a decompression bomb is stopped after at most `maxOutput` bytes.
 */
export class InflateSink {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  private stopped = false;
  /** One output buffer of the announced size, when the caller knows it: chunks are copied in once, or decoded in place. */
  private preallocated: Uint8Array | undefined;
  /** That size, until the buffer is first needed (a decoder that adopts its own output never needs it). */
  private announced: number | undefined;

  constructor(
    /** File reported in errors. */
    readonly file: string,
    readonly codec: CodecId,
    /** Offset of the compressed stream in `file`, added to every offset an error names. */
    readonly baseOffset: number,
    /** Most bytes the stream may inflate to; one byte more is a `DecompressedSizeError`. */
    readonly maxOutput: number,
    /** Stop quietly once this many bytes are out (a probe that needs only the first header). */
    readonly stopAfter: number = Number.POSITIVE_INFINITY,
    /** Inflated size the container announces (a kernel's size trailer), already checked against `maxOutput`. */
    expectedSize?: number,
  ) {
    if (expectedSize !== undefined && expectedSize <= maxOutput && stopAfter === Number.POSITIVE_INFINITY) this.announced = expectedSize;
  }

  /** The announced-size buffer, allocated on first use. */
  private buffer(): Uint8Array | undefined {
    if (this.announced !== undefined) {
      this.preallocated = new Uint8Array(this.announced);
      this.announced = undefined;
    }
    return this.preallocated;
  }

  /**
   * Where a decoder may write the next bytes in place (then `commit` them):
   * the announced-size buffer from the current end, when there is one.
   */
  get direct(): Uint8Array | undefined {
    return this.buffer()?.subarray(this.total);
  }

  /** Count `n` bytes a decoder wrote into `direct`. */
  commit(n: number): void {
    this.total += n;
  }

  /** Bytes produced so far. */
  get length(): number {
    return this.total;
  }

  /** True once `stopAfter` bytes are out: the decoder should return. */
  get done(): boolean {
    return this.stopped;
  }

  /**
   * Keep `chunk` (copied: decoders reuse their windows). Returns false when the
   * caller has seen enough (`stopAfter`); throws when the cap is passed.
   */
  write(chunk: Uint8Array, inputOffset: number): boolean {
    if (this.stopped) return false;
    let take = chunk;
    if (take.length > this.stopAfter - this.total) take = take.subarray(0, this.stopAfter - this.total);
    if (take.length > this.maxOutput - this.total) {
      throw new DecompressedSizeError(this.file, this.codec, this.baseOffset + inputOffset, this.maxOutput);
    }
    if (take.length > 0) {
      this.buffer();
      if (this.preallocated && take.length <= this.preallocated.length - this.total) {
        this.preallocated.set(take, this.total);
      } else {
        if (this.preallocated) {
          // more than announced: keep going in chunks (the caller's size check reports the lie)
          this.chunks.push(this.preallocated.subarray(0, this.total));
          this.preallocated = undefined;
        }
        this.chunks.push(take.slice());
      }
      this.total += take.length;
    }
    if (this.total >= this.stopAfter) this.stopped = true;
    return !this.stopped;
  }

  /**
   * Take `bytes` as the whole output, without a copy (a native decoder's own
   * buffer, already bounded by the cap). Counted like `write`: past the cap is
   * a `DecompressedSizeError`; after other output it is simply appended.
   */
  adopt(bytes: Uint8Array, inputOffset: number): void {
    if (this.total !== 0 || this.stopAfter !== Number.POSITIVE_INFINITY) {
      this.write(bytes, inputOffset);
      return;
    }
    if (bytes.length > this.maxOutput) throw new DecompressedSizeError(this.file, this.codec, this.baseOffset + inputOffset, this.maxOutput);
    this.preallocated = undefined;
    this.announced = undefined;
    this.chunks.push(bytes);
    this.total = bytes.length;
  }

  /** Throw the `FormatError` for `field` at `inputOffset` (relative to the stream). */
  fail(field: string, inputOffset: number, reason: string, options?: HandoffErrorOptions): never {
    throw new FormatError(this.file, `${this.codec} stream`, field, this.baseOffset + inputOffset, reason, options);
  }

  /** Everything written, as one buffer. */
  bytes(): Uint8Array {
    if (this.preallocated) return this.total === this.preallocated.length ? this.preallocated : this.preallocated.subarray(0, this.total);
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A compressed stream inflates past the cap the caller set (a decompression bomb, or a cap too low). */
export class DecompressedSizeError extends FormatError {
  constructor(
    file: string,
    codec: CodecId,
    /** Offset in `file` of the input the decoder was reading when the cap was passed. */
    offset: number,
    /** The cap, in bytes. */
    readonly limit: number,
    options?: HandoffErrorOptions,
  ) {
    super(file, `${codec} stream`, "output", offset, `inflates past the cap of ${limit} bytes (raise it with maxOutput if the image is genuine)`, options);
  }
}

/**
 * One compression format: its magic, and a decoder that streams its output
 * into an `InflateSink`. `decode` is given the whole stream (and nothing after
 * it: a caller strips a kernel's size trailer first) and must consume all of it.
 */
export interface Codec {
  readonly id: CodecId;
  /** The command-line tool that makes and reads this format (for messages and tests). */
  readonly tool: string;
  /** Cheap check of the magic number; never throws. */
  matches(bytes: Uint8Array): boolean;
  /** Inflate `input` into `sink`; malformed input fails through `sink.fail`. */
  decode(input: Uint8Array, sink: InflateSink): void;
}

/** True when `bytes` starts with `magic`. */
export function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

/** Little-endian u32 at `at`; callers have checked the bounds. */
export function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
