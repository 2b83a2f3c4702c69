import type { Image } from "./image.js";

/** A file handed to a parser: its bytes are read once; segments refer back to `path`. */
export interface ImageInput {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/**
 * Caps a parser checks header counts and sizes against before it allocates or
 * walks anything (the hardened-libelf rule). Callers may lower or raise them.
 */
export interface ParseLimits {
  readonly maxProgramHeaders: number;
  readonly maxSectionHeaders: number;
  readonly maxNotes: number;
  readonly maxSymbols: number;
  readonly maxRelocations: number;
  /** Largest memsz accepted for one segment, in bytes. */
  readonly maxSegmentMemory: bigint;
}

/** Limits applied when a caller does not set its own: generous for real kernels, small enough that a hostile header cannot exhaust memory. */
export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxProgramHeaders: 4096,
  maxSectionHeaders: 65_535,
  maxNotes: 65_536,
  maxSymbols: 1 << 20,
  maxRelocations: 1 << 22,
  maxSegmentMemory: 1n << 40n,
};

/** A compressed stream an image format's `parse` inflates (a bzImage's payload), located without inflating it. */
export interface CompressedStreamLocation {
  /** Offset of the stream in the input's bytes. */
  readonly offset: number;
  /** Its length, the size trailer included when there is one. */
  readonly length: number;
  /** The stream is followed by Linux's 4-byte little-endian inflated size (`size_append`), counted in `length`. */
  readonly sizeTrailer: boolean;
}

/**
 * One boot image format. ELF lives in core; arch packages contribute their own
 * (bzImage, arm64 Image, zImage) through `Architecture.imageFormats`.
 */
export interface ImageFormat {
  readonly id: string;
  readonly description: string;
  /** Cheap check of magic numbers; must not throw on any input. */
  probe(input: ImageInput): boolean;
  /** Full parse; malformed input throws `FormatError` naming field and offset. */
  parse(input: ImageInput, limits?: Partial<ParseLimits>): Image;
  /**
   * The compressed streams `parse` will inflate, found from the headers alone,
   * so that a platform edge can inflate them ahead on other threads (whose
   * result `parse` then takes for exactly those bytes). Throws what `parse`
   * would for a malformed header. Absent: the format inflates nothing.
   */
  compressedStreams?(input: ImageInput): readonly CompressedStreamLocation[];
}
