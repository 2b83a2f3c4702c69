/**
 * Inflating ahead: the asynchronous step in front of a synchronous parse.
 * Image formats inflate inside `parse` (a bzImage's payload), which is
 * synchronous; the payload inflates fastest on two cores
 * (./native-lz4-parallel.ts), which takes awaiting. So a caller that is about
 * to parse (the CLI's `inspect --payload`, `--kernel bzImage#payload`) awaits
 * {@link inflateAhead} first; the result is kept for exactly the bytes of each
 * stream (the same buffer, offset and length) and the codec of
 * {@link nodeCodecs} takes it, once, when `parse` inflates those bytes. Any
 * other inflate, or bytes changed in between (the caller must not), decodes as
 * before. Nothing is kept for a stream this path does not take (another codec
 * or frame, a block core refuses, a lying size): `parse` then decodes it
 * synchronously and reports it with core's typed error.
 */
import { createRequire } from "node:module";
import { DEFAULT_MAX_INFLATED_BYTES, type ImageFormat, type ImageInput } from "@handoff/core";
import { inflateLegacyLz4OnTwoCores, loadLiblz4OnTwoCores, type Liblz4OnTwoCores } from "./native-lz4-parallel.js";
import { NATIVE_CODECS_ENV, type ModuleLoader } from "./native-codecs.js";
import { keepInflatedAhead } from "./inflated-ahead.js";
import { u32le } from "./native-lz4.js";

/** Options of {@link inflateAhead}. */
export interface InflateAheadOptions {
  /** How koffi is loaded; default: `require` from this package. A loader that throws leaves the work to `parse`. */
  readonly load?: ModuleLoader;
  /** `HANDOFF_NATIVE_CODECS=0` (core's codecs only) turns this off; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Cap on what one stream may inflate to, as `parse` applies it; default `DEFAULT_MAX_INFLATED_BYTES`. */
  readonly maxOutput?: number;
}

/**
 * Inflate, on two cores, the compressed streams `format.parse(input)` will
 * inflate, for `parse` to take (see the module comment): today an LZ4 legacy
 * frame with Linux's size trailer, the x86_64 bzImage payload. Resolves to how
 * many streams wait for `parse`; never rejects on a bad image (`parse` says
 * what is wrong), and leaves nothing running on the thread pool.
 */
export async function inflateAhead(input: ImageInput, format: ImageFormat, options: InflateAheadOptions = {}): Promise<number> {
  if ((options.env ?? process.env)[NATIVE_CODECS_ENV] === "0") return 0;
  let streams: ReturnType<NonNullable<ImageFormat["compressedStreams"]>>;
  let lib: Liblz4OnTwoCores;
  try {
    streams = format.compressedStreams?.(input) ?? [];
    if (streams.length === 0) return 0;
    lib = loadLiblz4OnTwoCores(options.load ?? createRequire(import.meta.url));
  } catch {
    return 0; // a malformed header, or no koffi/liblz4 here: parse takes it all
  }
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_INFLATED_BYTES;
  const bytes = input.bytes;
  let kept = 0;
  for (const s of streams) {
    if (!s.sizeTrailer || s.offset < 0 || s.length < 4 || s.offset + s.length > bytes.length) continue;
    const size = u32le(bytes, s.offset + s.length - 4);
    if (size === 0 || size > maxOutput) continue;
    const stream = bytes.subarray(s.offset, s.offset + s.length - 4);
    let out: Uint8Array | undefined;
    try {
      out = await inflateLegacyLz4OnTwoCores(stream, size, lib);
    } catch {
      continue; // the output could not be allocated: parse meets the same and says so
    }
    if (out === undefined) continue;
    keepInflatedAhead(stream, out);
    kept++;
  }
  return kept;
}
