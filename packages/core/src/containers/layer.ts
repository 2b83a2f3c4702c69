/**
 * Containers a kernel arrives in: a compressed file (`Image.gz`), an EFI zboot
 * PE, a UKI, a U-Boot uImage or FIT. This module holds what every unwrapper
 * shares: the layer it reports, the extras it found, and the options it takes.
 */
import type { ImageInput } from "../image-format.js";
import type { MachineTag } from "../machine-tag.js";
import type { Codec, CodecId } from "../compression/codec.js";
import { defaultCodecs, DEFAULT_MAX_INFLATED_BYTES } from "../compression/inflate.js";

/** The kinds of container `unwrapImage` peels off. */
export type ContainerKind = "compressed" | "zboot" | "uki" | "uImage" | "FIT";

/** One layer peeled off. */
export interface ContainerLayer {
  readonly kind: ContainerKind;
  /** The file (or inner label) the layer was read from. */
  readonly file: string;
  /** Offset and length, in that file, of what the layer held (the payload). */
  readonly payloadOffset: number;
  readonly payloadLength: number;
  readonly codec?: CodecId;
  /** Inflated (or extracted) size. */
  readonly innerSize: number;
  /** The machine the layer's header names, raw (uImage ih_arch, a FIT kernel's arch, a zboot PE's Machine). */
  readonly machine?: MachineTag;
  /** Header fields of the layer, JSON-friendly apart from bigints. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What a container carries besides the kernel (UKI sections, FIT configuration). */
export interface ContainerExtras {
  readonly initrd?: Uint8Array;
  readonly cmdline?: string;
  readonly dtb?: Uint8Array;
  readonly osrel?: string;
  readonly uname?: string;
}

export interface UnwrappedImage extends ContainerExtras {
  /** The innermost bytes, labelled `FILE[layer...]` so errors say where they came from. */
  readonly input: ImageInput;
  /** Outermost first; empty when the input was not in a container. */
  readonly layers: readonly ContainerLayer[];
  /** False when only a prefix was inflated (`probe`). */
  readonly complete: boolean;
}

/** Options of {@link unwrapImage}: the output cap and the codecs to use. */
export interface UnwrapOptions {
  /** Codecs to use; a platform edge may pass faster ones. Default: {@link defaultCodecs} (core's pure-JS codecs unless an edge installed others). */
  readonly codecs?: readonly Codec[];
  /** Cap on any inflated payload (bytes); default `DEFAULT_MAX_INFLATED_BYTES`. */
  readonly maxOutput?: number;
  /** Most layers to peel (a zboot inside a uImage is two); default 4. */
  readonly maxDepth?: number;
  /** Inflate only this many bytes of each payload (enough for a format's probe); skips data checksums. */
  readonly prefixOnly?: number;
}

/** How much of a payload a probe inflates: every header a format checks lies in the first 64 KiB. */
export const PROBE_PREFIX_BYTES = 64 << 10;

/** One layer peeled off by an unwrapper: what it was, what it held, what it said. */
export interface ContainerStep {
  readonly layer: ContainerLayer;
  readonly inner: ImageInput;
  readonly extras?: ContainerExtras;
  readonly complete: boolean;
}

/** The `inflate` options an unwrapper passes for `options` (codecs, cap, prefix). */
export function inflateOptions(options: UnwrapOptions) {
  return {
    codecs: options.codecs ?? defaultCodecs(),
    maxOutput: options.maxOutput ?? DEFAULT_MAX_INFLATED_BYTES,
    ...(options.prefixOnly !== undefined ? { stopAfter: options.prefixOnly } : {}),
  };
}
