import { checkedAdd64, hex } from "../bits.js";
import { FormatError } from "../errors.js";
import type { Image } from "../image.js";
import type { ImageFormat, ImageInput } from "../image-format.js";

/** Where a flat binary goes: it has no header to say. */
export interface RawImageOptions {
  /** Physical address of the first byte. */
  readonly loadAddress: bigint;
  /** Entry point; defaults to the load address. */
  readonly entry?: bigint;
  /** Architecture id to report, if known. */
  readonly arch?: string;
  /** Bytes to reserve at the destination (BSS); defaults to the file size. */
  readonly memsz?: bigint;
}

/**
 * A flat binary loaded at a given address: one segment, the whole file,
 * referenced by file range (never copied). It cannot be recognised by its
 * contents, so `probe` is always false: callers ask for it by name.
 */
export function rawImageFormat(options: RawImageOptions): ImageFormat {
  return {
    id: "raw",
    description: `flat binary at ${hex(options.loadAddress)}`,
    probe: () => false,
    parse(input: ImageInput): Image {
      const length = input.bytes.length;
      if (length === 0) throw new FormatError(input.path, "raw", "file", 0, "empty file");
      const bufsz = BigInt(length);
      const memsz = options.memsz ?? bufsz;
      if (memsz < bufsz) throw new FormatError(input.path, "raw", "memsz", undefined, `${hex(memsz)} is smaller than the file (${hex(bufsz)})`);
      const end = checkedAdd64(options.loadAddress, memsz, `${input.path}: raw image end`);
      const entry = options.entry ?? options.loadAddress;
      if (entry < options.loadAddress || entry >= end) {
        throw new FormatError(input.path, "raw", "entry", undefined, `${hex(entry)} is outside the image ${hex(options.loadAddress)}..${hex(end)}`);
      }
      return {
        format: "raw",
        arch: options.arch,
        entry: { phys: entry },
        segments: [
          { data: { kind: "file", path: input.path, offset: 0, length }, bufsz, mem: options.loadAddress, memsz, role: "kernel", name: "raw" },
        ],
        metadata: { loadAddress: options.loadAddress },
        source: { path: input.path, size: length },
      };
    },
  };
}
