import { FormatError } from "../errors.js";
import type { Image } from "../image.js";
import type { ImageFormat, ImageInput } from "../image-format.js";
import { architectureOfMachine, resolveImageArchitecture, type MachineIdentity } from "../machine.js";
import { imageFromUnwrapped, unwrapImage, type UnwrapOptions, type UnwrappedImage } from "./unwrap.js";

/** An image read through its containers: the parsed image, the format that read it, and the layers. */
export interface OpenedImage {
  readonly image: Image;
  readonly format: ImageFormat;
  readonly unwrapped: UnwrappedImage;
}

/** Options of {@link openImage}. */
export interface OpenImageOptions extends UnwrapOptions {
  /** Parse with this format rather than the first whose probe accepts the bytes. */
  readonly format?: ImageFormat;
  /**
   * The installed architectures: an image whose format names no architecture
   * gets the one that claims its machine (an ELF's e_machine) or, failing
   * that, its containers' (uImage ih_arch, FIT arch, PE Machine); each layer
   * with a machine gets an `arch` field (null when no architecture claims it).
   */
  readonly architectures?: readonly MachineIdentity[];
}

/**
 * Unwrap `input` (compressed, zboot, UKI, uImage, FIT) and parse what is inside
 * with the first of `formats` whose probe accepts it, or with `format` when the
 * caller names one. The result's segments hold the inflated bytes.
 */
export function openImage(input: ImageInput, formats: readonly ImageFormat[], options: OpenImageOptions = {}): OpenedImage {
  const unwrapped = withLayerArchitectures(unwrapImage(input, options), options.architectures ?? []);
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
  const parsed = imageFromUnwrapped(format.parse(inner), unwrapped, input);
  const image = resolveImageArchitecture(parsed, options.architectures ?? [], unwrapped.layers.map((l) => l.machine));
  return { image, format, unwrapped };
}

/** Each layer that names a machine, with the `arch` field the installed architectures give it (null: none claims it). */
function withLayerArchitectures(unwrapped: UnwrappedImage, architectures: readonly MachineIdentity[]): UnwrappedImage {
  const layers = unwrapped.layers.map((l) => (l.machine === undefined ? l : { ...l, fields: { ...l.fields, arch: architectureOfMachine(architectures, l.machine)?.id ?? null } }));
  return { ...unwrapped, layers };
}
