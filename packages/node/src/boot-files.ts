/**
 * "Load a kernel, initrd and DTB from files": the one entry point the CLI's
 * commands share, with one set of limits, so every command gives the same
 * verdict on the same file.
 */
import { FormatError, imageArchitectureMismatch, resolveImageArchitecture, type Image, type MachineIdentity, type ImageFormat, type ImageInput, type ParseLimits } from "@handoff/core";
import { readFileBounded } from "./read-file.js";

const MIB = 1024 * 1024;

/** Largest file accepted per role, in bytes. */
export interface BootFileLimits {
  readonly kernel: number;
  readonly initrd: number;
  readonly dtb: number;
}

/**
 * Defaults: 512 MiB for a kernel or an initrd (far above any real one, far
 * below what would exhaust the machine), 2 MiB for a DTB (arm64 booting.rst:
 * the DTB must not exceed 2 MiB).
 */
export const DEFAULT_BOOT_FILE_LIMITS: BootFileLimits = { kernel: 512 * MIB, initrd: 512 * MIB, dtb: 2 * MIB };

/** Paths of the files of one boot. */
export interface BootFilePaths {
  readonly kernel: string;
  readonly initrd?: string;
  readonly dtb?: string;
}

/** The files of one boot, read and checked. */
export interface BootFiles {
  readonly kernel: ImageInput;
  readonly initrd?: ImageInput;
  readonly dtb?: ImageInput;
}

/** Read the kernel, and the initrd and DTB when given, each bounded by its limit (`FileAccessError` otherwise). */
export function readBootFiles(paths: BootFilePaths, limits: Partial<BootFileLimits> = {}): BootFiles {
  const l = { ...DEFAULT_BOOT_FILE_LIMITS, ...limits };
  return {
    kernel: readFileBounded(paths.kernel, { role: "kernel", maxBytes: l.kernel }),
    ...(paths.initrd === undefined ? {} : { initrd: readFileBounded(paths.initrd, { role: "initrd", maxBytes: l.initrd }) }),
    ...(paths.dtb === undefined ? {} : { dtb: readFileBounded(paths.dtb, { role: "DTB", maxBytes: l.dtb }) }),
  };
}

/** Options of {@link loadImageFile}. */
export interface LoadImageOptions {
  /** Largest file accepted (default: the kernel limit). */
  readonly maxBytes?: number;
  /** Use this format (by id) instead of probing. */
  readonly format?: string;
  /** Refuse an image that declares another architecture (its format's arch, or a machine this one does not claim). */
  readonly arch?: MachineIdentity;
  readonly parseLimits?: Partial<ParseLimits>;
}

/** A kernel image read from a file and parsed by the format that recognised it. */
export interface LoadedImage {
  readonly input: ImageInput;
  readonly format: ImageFormat;
  readonly image: Image;
}

/**
 * Read `path` (bounded) and parse it with the first of `formats` whose probe
 * recognises it, or with the one named by `options.format`. Typed errors:
 * `FileAccessError` for the file, `FormatError` for its contents.
 */
export function loadImageFile(path: string, formats: readonly ImageFormat[], options: LoadImageOptions = {}): LoadedImage {
  const input = readFileBounded(path, { role: "kernel", maxBytes: options.maxBytes ?? DEFAULT_BOOT_FILE_LIMITS.kernel });
  const format = options.format === undefined ? formats.find((f) => f.probe(input)) : formats.find((f) => f.id === options.format);
  if (format === undefined) {
    const known = formats.map((f) => f.id).join(", ") || "none installed";
    const reason = options.format === undefined ? `no image format recognises it (tried: ${known})` : `'${options.format}' is not one of the formats (${known})`;
    throw new FormatError(path, "kernel image", "header", 0, reason);
  }
  const image = format.parse(input, options.parseLimits);
  if (options.arch === undefined) return { input, format, image };
  const mismatch = imageArchitectureMismatch(image, options.arch);
  if (mismatch !== undefined) throw new FormatError(path, image.format, "arch", undefined, mismatch);
  return { input, format, image: resolveImageArchitecture(image, [options.arch]) };
}
