import { FormatError } from "../errors.js";
import type { Image } from "../image.js";
import type { ImageFormat, ImageInput } from "../image-format.js";
import { imageFromUnwrapped, unwrapImage, type UnwrapOptions, type UnwrappedImage } from "./unwrap.js";

/** An image read through its containers: the parsed image, the format that read it, and the layers. */
export interface OpenedImage {
  readonly image: Image;
  readonly format: ImageFormat;
  readonly unwrapped: UnwrappedImage;
}

/**
 * Unwrap `input` (compressed, zboot, UKI, uImage, FIT) and parse what is inside
 * with the first of `formats` whose probe accepts it, or with `format` when the
 * caller names one. The result's segments hold the inflated bytes.
 */
export function openImage(input: ImageInput, formats: readonly ImageFormat[], options: UnwrapOptions & { readonly format?: ImageFormat } = {}): OpenedImage {
  const unwrapped = unwrapImage(input, options);
  const inner = unwrapped.input;
  let format = options.format;
  if (format === undefined) {
    format = formats.find((f) => {
      try {
        return f.probe(inner);
      } catch {
        return false; // a probe must not throw; one that does simply does not match
      }
    });
  }
  if (format === undefined) {
    const within = unwrapped.layers.length ? ` (inside ${unwrapped.layers.map((l) => (l.codec ? `${l.kind} ${l.codec}` : l.kind)).join(" > ")})` : "";
    throw new FormatError(input.path, "image", "magic", 0, `not a recognised image format${within} (tried: ${formats.map((f) => f.id).join(", ")})`);
  }
  const image = imageFromUnwrapped(format.parse(inner), unwrapped, input);
  return { image, format, unwrapped };
}
