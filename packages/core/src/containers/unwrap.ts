/**
 * `unwrapImage` peels containers off a kernel (compressed file, EFI zboot, UKI,
 * U-Boot uImage or FIT) until the bytes are an image a format parser knows, and
 * keeps what each layer said. Each family's unwrapper lives in its own module.
 */
import { FormatError } from "../errors.js";
import type { Image, Segment } from "../image.js";
import type { ImageInput } from "../image-format.js";
import type { Codec } from "../compression/codec.js";
import { defaultCodecs, detectCodec, inflate } from "../compression/inflate.js";
import { inflateOptions, type ContainerExtras, type ContainerKind, type ContainerLayer, type ContainerStep, type UnwrappedImage, type UnwrapOptions } from "./layer.js";
import { peContainerKind, unwrapUki, unwrapZboot } from "./pe-containers.js";
import { ubootContainerKind, unwrapFit, unwrapUImage } from "./uboot-containers.js";

export { PROBE_PREFIX_BYTES, type ContainerKind, type ContainerLayer, type ContainerExtras, type UnwrappedImage, type UnwrapOptions } from "./layer.js";

/** The kind of container `bytes` is, if any (cheap magic checks; never throws). */
export function containerKindOf(bytes: Uint8Array, codecs: readonly Codec[] = defaultCodecs()): ContainerKind | undefined {
  if (detectCodec(bytes, codecs)) return "compressed";
  return peContainerKind(bytes) ?? ubootContainerKind(bytes);
}

/** Peel every container off `input` (bounded in depth and in inflated size). Input that is in none comes back as it is. */
export function unwrapImage(input: ImageInput, options: UnwrapOptions = {}): UnwrappedImage {
  const codecs = options.codecs ?? defaultCodecs();
  const maxDepth = options.maxDepth ?? 4;
  const layers: ContainerLayer[] = [];
  let extras: ContainerExtras = {};
  let current = input;
  let complete = true;
  for (let depth = 0; ; depth++) {
    const kind = containerKindOf(current.bytes, codecs);
    if (kind === undefined) break;
    if (!complete) break; // a prefix cannot be unwrapped further reliably beyond its own headers
    if (depth >= maxDepth) throw new FormatError(current.path, "container", "nesting", 0, `more than ${maxDepth} nested containers`);
    const step = unwrapOne(kind, current, codecs, options);
    layers.push(step.layer);
    extras = { ...extras, ...step.extras };
    complete = step.complete;
    current = step.inner;
  }
  return { input: current, layers, complete, ...extras };
}

function unwrapOne(kind: ContainerKind, input: ImageInput, codecs: readonly Codec[], options: UnwrapOptions): ContainerStep {
  switch (kind) {
    case "compressed":
      return unwrapCompressed(input, options);
    case "zboot":
      return unwrapZboot(input, options);
    case "uki":
      return unwrapUki(input);
    case "uImage":
      return unwrapUImage(input, options);
    case "FIT":
      return unwrapFit(input, options);
  }
}

function unwrapCompressed(input: ImageInput, options: UnwrapOptions): ContainerStep {
  const r = inflate(input.bytes, { file: input.path, ...inflateOptions(options) });
  return {
    layer: { kind: "compressed", file: input.path, payloadOffset: 0, payloadLength: input.bytes.length, codec: r.codec, innerSize: r.bytes.length, fields: {} },
    inner: { path: `${input.path}[${r.codec}]`, bytes: r.bytes },
    complete: r.complete,
  };
}

/**
 * An image parsed from unwrapped bytes, made self-contained: segments that
 * refer to ranges of the inner (in-memory) bytes become byte views of them,
 * since no file on disk holds those bytes; the layers go into the metadata.
 */
export function imageFromUnwrapped(image: Image, unwrapped: UnwrappedImage, original: ImageInput): Image {
  if (unwrapped.layers.length === 0) return image;
  const inner = unwrapped.input;
  const segments: Segment[] = image.segments.map((s) => {
    if (s.data.kind !== "file" || s.data.path !== inner.path) return s;
    return { ...s, data: { kind: "bytes", bytes: inner.bytes.subarray(s.data.offset, s.data.offset + s.data.length) } };
  });
  return {
    ...image,
    segments,
    metadata: {
      ...image.metadata,
      container: unwrapped.layers.map((l) => ({ kind: l.kind, file: l.file, codec: l.codec ?? null, payloadOffset: l.payloadOffset, payloadLength: l.payloadLength, innerSize: l.innerSize, ...l.fields })),
    },
    source: { path: original.path, size: original.bytes.length },
  };
}
