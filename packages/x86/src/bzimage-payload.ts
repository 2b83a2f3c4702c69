/**
 * The vmlinux inside a bzImage: the compressed payload the setup header points
 * at (`payload_offset` from the protected-mode kernel, `payload_length`, boot
 * protocol 2.08+), inflated with any codec Linux uses and parsed as the ELF it
 * is — its PT_LOADs, entry and Xen notes (XEN_ELFNOTE_PHYS32_ENTRY for PVH).
 * Asked for by name (`--kernel-format bzImage-payload`, `inspect --payload`):
 * a bzImage itself is still a bzImage.
 */
import { XEN_ELF_IMAGE_FORMAT } from "@handoff/xen";
import { FormatError, inflate, imageFromUnwrapped, type Image, type ImageFormat, type ImageInput, type ParseLimits, type UnwrapOptions, type CodecId } from "@handoff/core";
import { parseBzImage } from "./bzimage.js";

/** Image format id of a bzImage's inflated payload. */
export const BZIMAGE_PAYLOAD_FORMAT_ID = "bzImage-payload";

/** Where a bzImage's payload lies in the file and what codec it is in. */
export interface BzImagePayload {
  /** File offset (kernel offset + payload_offset). */
  readonly offset: number;
  /** payload_length: the compressed stream plus Linux's 4-byte size trailer. */
  readonly length: number;
}

/** Locate the payload (boot protocol 2.08+), bounded by the file. */
export function bzImagePayload(input: ImageInput): BzImagePayload {
  const { info } = parseBzImage(input);
  const f = info.header.fields;
  const payloadOffset = f.payload_offset as number | undefined;
  const payloadLength = f.payload_length as number | undefined;
  if (payloadOffset === undefined || payloadLength === undefined || payloadLength === 0) {
    throw new FormatError(input.path, "bzImage", "payload_offset", 0x248, `boot protocol ${info.header.protocol} has no payload fields (2.08+ does)`);
  }
  return { offset: info.kernelOffset + payloadOffset, length: payloadLength };
}

/** Inflate a bzImage's payload to the vmlinux ELF it holds; the size trailer is checked against the stream. */
export function extractBzImagePayload(input: ImageInput, options: Pick<UnwrapOptions, "codecs" | "maxOutput"> = {}): { vmlinux: ImageInput; codec: CodecId; payload: BzImagePayload } {
  const payload = bzImagePayload(input);
  const bytes = input.bytes.subarray(payload.offset, payload.offset + payload.length);
  const inflated = inflate(bytes, { file: input.path, offset: payload.offset, sizeTrailer: true, ...options });
  return { vmlinux: { path: `${input.path}[payload ${inflated.codec}]`, bytes: inflated.bytes }, codec: inflated.codec, payload };
}

/** The bzImage payload as an image of its own: the inflated vmlinux ELF. */
export const bzImagePayloadFormat: ImageFormat = {
  id: BZIMAGE_PAYLOAD_FORMAT_ID,
  description: "the vmlinux ELF inside an x86 bzImage (payload_offset/payload_length, inflated)",
  probe: () => false,
  compressedStreams(input: ImageInput) {
    const { offset, length } = bzImagePayload(input);
    return [{ offset, length, sizeTrailer: true }];
  },
  parse(input: ImageInput, limits?: Partial<ParseLimits>): Image {
    const { vmlinux, codec, payload } = extractBzImagePayload(input);
    if (!XEN_ELF_IMAGE_FORMAT.probe(vmlinux)) throw new FormatError(input.path, "bzImage payload", "payload", payload.offset, `inflates (${codec}) to something that is not an ELF file`);
    const image = XEN_ELF_IMAGE_FORMAT.parse(vmlinux, limits);
    const layer = { kind: "compressed" as const, file: input.path, payloadOffset: payload.offset, payloadLength: payload.length, codec, innerSize: vmlinux.bytes.length, fields: { from: "bzImage payload_offset/payload_length" } };
    const opened = imageFromUnwrapped(image, { input: vmlinux, layers: [layer], complete: true }, input);
    return { ...opened, format: `${image.format} (bzImage payload)` };
  },
};
