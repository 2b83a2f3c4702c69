import { FormatError } from "../errors.js";
import { InflateSink, type Codec, type CodecId } from "./codec.js";
import { BZIP2_CODEC } from "./bzip2.js";
import { GZIP_CODEC } from "./gzip.js";
import { LZ4_CODEC } from "./lz4.js";
import { LZMA_CODEC } from "./lzma.js";
import { XZ_CODEC } from "./xz.js";
import { ZSTD_CODEC } from "./zstd.js";

/** The pure-JS codecs core ships; a platform edge may pass faster ones in their place. */
export const DEFAULT_CODECS: readonly Codec[] = [GZIP_CODEC, XZ_CODEC, LZMA_CODEC, ZSTD_CODEC, LZ4_CODEC, BZIP2_CODEC];

let installed: readonly Codec[] = DEFAULT_CODECS;

/**
 * The codecs an inflate or unwrap uses when its caller names none: core's, or
 * those a platform edge installed. Image formats inflate inside `parse` (a
 * bzImage's payload), where no options reach, so the edge's choice is made here.
 */
export function defaultCodecs(): readonly Codec[] {
  return installed;
}

/** Make `codecs` the default of every inflate and unwrap that names none (an edge calls it at start-up); returns the previous list. */
export function installDefaultCodecs(codecs: readonly Codec[]): readonly Codec[] {
  const previous = installed;
  installed = codecs;
  return previous;
}

/** Default cap on what one stream may inflate to: larger than any kernel, small enough to stop a bomb. */
export const DEFAULT_MAX_INFLATED_BYTES = 1 << 30;

/** The codec whose magic starts `bytes`, if any. */
export function detectCodec(bytes: Uint8Array, codecs: readonly Codec[] = defaultCodecs()): Codec | undefined {
  return codecs.find((c) => c.matches(bytes));
}

/** The codec with id `id`, from `codecs`. */
export function codecById(id: CodecId, codecs: readonly Codec[] = defaultCodecs()): Codec | undefined {
  return codecs.find((c) => c.id === id);
}

/** Options of an inflate: the output cap (a bomb is refused at it) and the codecs to try. */
export interface InflateOptions {
  /** File reported in errors. */
  readonly file: string;
  /** Offset of the stream in the file (errors name file offsets). */
  readonly offset?: number;
  /** Cap on the inflated size; default `DEFAULT_MAX_INFLATED_BYTES`. */
  readonly maxOutput?: number;
  /** Stop after this many bytes (a probe); the result is then a prefix. */
  readonly stopAfter?: number;
  /**
   * The stream is followed by a 4-byte little-endian copy of the inflated size,
   * as Linux's `size_append` writes after every compressed kernel payload
   * (bzImage, EFI zboot). It is checked against what the stream inflates to.
   */
  readonly sizeTrailer?: boolean;
  /** Codec to use; default: detected from the magic. */
  readonly codec?: CodecId;
  /** Codecs to choose from; default {@link defaultCodecs}. */
  readonly codecs?: readonly Codec[];
}

/** What an inflate produced: the bytes and the codec that made them. */
export interface Inflated {
  readonly codec: CodecId;
  readonly bytes: Uint8Array;
  /** False when `stopAfter` cut the output short. */
  readonly complete: boolean;
}

/** Inflate a whole compressed stream (checked, capped), as one buffer. */
export function inflate(input: Uint8Array, options: InflateOptions): Inflated {
  const codecs = options.codecs ?? defaultCodecs();
  const base = options.offset ?? 0;
  const codec = options.codec !== undefined ? codecById(options.codec, codecs) : detectCodec(input, codecs);
  if (codec === undefined) {
    throw new FormatError(options.file, "compressed stream", "magic", base, options.codec ? `no decoder for ${options.codec} is installed` : `not a stream of a known codec (${codecs.map((c) => c.id).join(", ")})`);
  }
  let stream = input;
  let trailer: number | undefined;
  if (options.sizeTrailer) {
    if (input.length < 4) throw new FormatError(options.file, `${codec.id} stream`, "size trailer", base, "the payload is shorter than its 4-byte size trailer");
    stream = input.subarray(0, input.length - 4);
    const t = input.length - 4;
    trailer = (input[t]! | (input[t + 1]! << 8) | (input[t + 2]! << 16) | (input[t + 3]! << 24)) >>> 0;
  }
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_INFLATED_BYTES;
  if (trailer !== undefined && trailer > maxOutput) {
    throw new FormatError(options.file, `${codec.id} stream`, "size trailer", base + input.length - 4, `says ${trailer} bytes, more than the cap of ${maxOutput}`);
  }
  const sink = new InflateSink(options.file, codec.id, base, maxOutput, options.stopAfter, trailer);
  codec.decode(stream, sink);
  const complete = !sink.done;
  if (complete && trailer !== undefined && trailer !== sink.length >>> 0) {
    throw new FormatError(options.file, `${codec.id} stream`, "size trailer", base + input.length - 4, `says ${trailer} bytes but the stream inflates to ${sink.length}`);
  }
  return { codec: codec.id, bytes: sink.bytes(), complete };
}
