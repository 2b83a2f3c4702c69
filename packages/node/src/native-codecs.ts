/**
 * Faster decompression at the Node edge (issue 18: within 1.5x of each codec's
 * own tool). Core's codecs are pure JS and browser-safe; here gzip goes to
 * Node's zlib, zstd to libzstd (through `@toondepauw/node-zstd`), xz to
 * lzma-rs (through `@napi-rs/lzma` 1.4.5, the last release whose engines admit
 * Node 20), napi-rs bindings with prebuilt binaries, and LZ4's legacy frame to
 * liblz4 through koffi (./native-lz4.ts), each wrapped around core's codec:
 *
 * - a native decoder runs only when its output is bounded before it starts
 *   (zlib's `maxOutputLength`; for zstd and xz, the bound their block or
 *   chunk headers give), so
 *   a decompression bomb costs no more memory than the cap;
 * - it runs only for a whole stream (a probe that wants a prefix streams
 *   through core's decoder, which stops early);
 * - when the native library is missing (the kexec VM images carry only the
 *   single-file CLI) or fails on the input, core's decoder runs instead: it
 *   gives the same bytes, or the typed error naming field and offset.
 */
import { createRequire } from "node:module";
import { decodeLegacyLz4, loadLiblz4 } from "./native-lz4.js";
import { takeInflatedAhead } from "./inflated-ahead.js";
import { DEFAULT_CODECS, installDefaultCodecs, xzOutputBound, zstdOutputBound, type Codec, type CodecId, type InflateSink } from "@handoff/core";

/** Loads an optional module by name; throws when it is not installed. */
export type ModuleLoader = (id: string) => unknown;

/** Whole input to whole output, at most `sink.maxOutput` bytes; undefined when it cannot bound or decode this input. */
type FastDecode = (input: Uint8Array, sink: InflateSink) => Uint8Array | undefined;

/** The native library behind each fast codec (for reports and the package README). */
export const NATIVE_CODEC_LIBRARIES: Readonly<Partial<Record<CodecId, string>>> = {
  gzip: "node:zlib",
  zstd: "@toondepauw/node-zstd",
  xz: "@napi-rs/lzma",
  lz4: "koffi",
};

/** Set to `0` to use core's pure-JS codecs only (benchmarks, and checking the fallback). */
export const NATIVE_CODECS_ENV = "HANDOFF_NATIVE_CODECS";

/** Node's zlib (RFC 1952 gzip members; CRC-32 and ISIZE checked by zlib). */
function zlibGunzip(load: ModuleLoader): FastDecode {
  const zlib = load("node:zlib") as typeof import("node:zlib");
  const maxBuffer = (load("node:buffer") as typeof import("node:buffer")).constants.MAX_LENGTH;
  return (input, sink) => {
    if (sink.maxOutput > maxBuffer) return undefined;
    const { buffer, engine } = zlib.gunzipSync(input, { maxOutputLength: sink.maxOutput, chunkSize: 1 << 20, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    // zlib stops quietly at bytes that do not start another member; core names them.
    return engine.bytesWritten === input.length ? buffer : undefined;
  };
}

/**
 * libzstd through `@toondepauw/node-zstd`. Its decoder cannot stream into a
 * cap, so it runs only when the frames' block headers (walked by core) bound
 * the output within the cap: no block inflates past 128 KiB (RFC 8878).
 */
function libzstd(load: ModuleLoader): FastDecode {
  const { Decoder } = load("@toondepauw/node-zstd") as { Decoder: new () => { decodeSync(data: Buffer): Buffer } };
  return (input, sink) => (zstdOutputBound(input, sink) <= sink.maxOutput ? new Decoder().decodeSync(Buffer.from(input.buffer, input.byteOffset, input.length)) : undefined);
}

/**
 * xz through `@napi-rs/lzma` (lzma-rs). It cannot stream into a cap, so it
 * runs only when the LZMA2 chunk headers (each states its unpacked size) bound
 * the output within the cap. It knows no x86 BCJ filter and no SHA-256 check:
 * such streams (Linux's `xz --x86` payloads) fail here and core decodes them.
 */
function lzmaRust(load: ModuleLoader): FastDecode {
  const { xz } = load("@napi-rs/lzma") as { xz: { decompressSync(input: Uint8Array): Buffer } };
  return (input, sink) => (xzOutputBound(input, sink) <= sink.maxOutput ? xz.decompressSync(input) : undefined);
}

/**
 * liblz4 (through koffi) for LZ4's legacy frame; other LZ4 frames go to core.
 * What `inflateAhead` already made of exactly these bytes (on two cores) is
 * taken instead, once.
 */
function liblz4(load: ModuleLoader): FastDecode {
  const decompress = loadLiblz4(load);
  return (input, sink) => takeInflatedAhead(input, sink.maxOutput) ?? decodeLegacyLz4(input, sink, decompress);
}

const FAST: Partial<Record<CodecId, (load: ModuleLoader) => FastDecode>> = { gzip: zlibGunzip, zstd: libzstd, xz: lzmaRust, lz4: liblz4 };

/** `core` with `fast` in front of it; `fast` is loaded on first use and `undefined` for good when it cannot be. */
function withNativeDecoder(core: Codec, makeFast: (load: ModuleLoader) => FastDecode, load: ModuleLoader): Codec {
  let fast: FastDecode | undefined | null = null;
  const loaded = (): FastDecode | undefined => {
    if (fast === null) {
      try {
        fast = makeFast(load);
      } catch {
        fast = undefined; // not installed for this platform: core's decoder does the work
      }
    }
    return fast;
  };
  return {
    id: core.id,
    tool: core.tool,
    matches: core.matches,
    decode(input: Uint8Array, sink: InflateSink): void {
      const decoder = sink.length === 0 && sink.stopAfter === Number.POSITIVE_INFINITY ? loaded() : undefined;
      let out: Uint8Array | undefined;
      try {
        out = decoder?.(input, sink);
      } catch {
        out = undefined; // malformed or over the cap: core's decoder says where, with its typed error
      }
      if (out !== undefined) sink.adopt(out, input.length);
      else core.decode(input, sink);
    },
  };
}

/** Options of {@link nodeCodecs}. */
export interface NodeCodecOptions {
  /** How native modules are loaded; default: `require` from this package. A loader that throws leaves core's codecs in place. */
  readonly load?: ModuleLoader;
  /** Core's codecs to wrap; default `DEFAULT_CODECS`. */
  readonly codecs?: readonly Codec[];
}

/** Core's codecs, each with its native decoder in front where Node has one (see the module comment). */
export function nodeCodecs(options: NodeCodecOptions = {}): readonly Codec[] {
  const load = options.load ?? createRequire(import.meta.url);
  return (options.codecs ?? DEFAULT_CODECS).map((c) => {
    const make = FAST[c.id];
    return make ? withNativeDecoder(c, make, load) : c;
  });
}

let installedOnce = false;

/**
 * Make {@link nodeCodecs} the default of every inflate in this process (the
 * CLI calls it before reading a kernel), unless `HANDOFF_NATIVE_CODECS=0`.
 * Cheap: native modules load on the first inflate that can use them.
 */
export function installNodeCodecs(env: NodeJS.ProcessEnv = process.env): void {
  if (installedOnce || env[NATIVE_CODECS_ENV] === "0") return;
  installedOnce = true;
  installDefaultCodecs(nodeCodecs());
}
