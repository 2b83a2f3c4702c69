/**
 * The arm64 Linux `Image` format: a 64-byte header at the start of the
 * uncompressed kernel. Source: Linux Documentation/arch/arm64/booting.rst,
 * section 4 "Call the kernel image". All fields little-endian (v3.17+).
 */
import { ByteReader, DEFAULT_PARSE_LIMITS, checkEfiStubPeHeader, parsePe, hex, peekU32le, type Image, type ImageFormat, type ImageInput, type ParseLimits } from "@handoff/core";

/** Image format id of the arm64 Linux `Image` (booting.rst header). */
export const ARM64_IMAGE_FORMAT_ID = "arm64-Image";

/** booting.rst: u32 code0 @0, u32 code1 @4. */
export const ARM64_CODE0_OFFSET = 0;
export const ARM64_CODE1_OFFSET = 4;
/** booting.rst: u64 text_offset @8 ("Image load offset"). */
export const ARM64_TEXT_OFFSET_OFFSET = 8;
/** booting.rst: u64 image_size @16 ("Effective Image size"). */
export const ARM64_IMAGE_SIZE_OFFSET = 16;
/** booting.rst: u64 flags @24. */
export const ARM64_FLAGS_OFFSET = 24;
/** booting.rst: u64 res2 @32, res3 @40, res4 @48. */
export const ARM64_RES2_OFFSET = 32;
export const ARM64_RES3_OFFSET = 40;
export const ARM64_RES4_OFFSET = 48;
/** booting.rst: u32 magic @56 = 0x644d5241 ("ARM\x64", little-endian). */
export const ARM64_MAGIC_OFFSET = 56;
/** booting.rst magic value at `ARM64_MAGIC_OFFSET` (56): "ARM\x64" read little-endian. */
export const ARM64_IMAGE_MAGIC = 0x644d5241;
/** booting.rst: u32 res5 @60, "reserved (used for PE COFF offset)". */
export const ARM64_RES5_OFFSET = 60;
/** booting.rst: the Image header is 64 bytes. */
export const ARM64_HEADER_SIZE = 64;
/** booting.rst: "Where image_size is zero, text_offset can be assumed to be 0x80000." */
export const ARM64_LEGACY_TEXT_OFFSET = 0x80000n;
/** booting.rst: the Image is placed text_offset bytes from a 2 MiB aligned base. */
export const ARM64_BASE_ALIGNMENT = 0x200000n;

/** booting.rst flags bit 0: kernel endianness, 1 = BE. */
export const ARM64_FLAG_BE = 1n << 0n;
/** booting.rst flags bits 1-2: page size. */
export const ARM64_FLAG_PAGE_SIZE_SHIFT = 1n;
export const ARM64_FLAG_PAGE_SIZE_MASK = 3n << 1n;
/** booting.rst flags bit 3: physical placement (1 = anywhere within 48-bit PA range). */
export const ARM64_FLAG_PHYS_PLACEMENT = 1n << 3n;

/** booting.rst flags bits 1-2, by value: 0 unspecified, 1 4K, 2 16K, 3 64K. */
export const ARM64_PAGE_SIZES = ["unspecified", "4K", "16K", "64K"] as const;
/** Kernel page size from the header flags (bits 1-2), or "unspecified". */
export type Arm64PageSize = (typeof ARM64_PAGE_SIZES)[number];

/** Decoded Image header. */
export interface Arm64ImageHeader {
  readonly code0: number;
  readonly code1: number;
  /** As stored; for an old kernel (image_size 0) use `effectiveTextOffset`. */
  readonly textOffset: bigint;
  readonly imageSize: bigint;
  readonly flags: bigint;
  readonly res2: bigint;
  readonly res3: bigint;
  readonly res4: bigint;
  readonly magic: number;
  readonly res5: number;
  /** image_size 0: pre-v3.17 kernel, text_offset 0x80000 assumed, flags meaningless. */
  readonly legacy: boolean;
  readonly effectiveTextOffset: bigint;
  readonly bigEndian: boolean;
  readonly pageSize: Arm64PageSize;
  /** flags bit 3: 2 MiB-aligned base anywhere in the 48-bit range (else as low as possible). */
  readonly placeAnywhere: boolean;
  /** Bits 4..63 (reserved) that are set. */
  readonly reservedFlags: bigint;
  /** "MZ" at offset 0: an EFI stub kernel, res5 is the PE header offset. */
  readonly efiStub: boolean;
}

/** Read and validate the 64-byte header. */
export function readArm64ImageHeader(r: ByteReader): Arm64ImageHeader {
  r.require("header", 0, ARM64_HEADER_SIZE);
  const magic = r.u32le("magic", ARM64_MAGIC_OFFSET);
  if (magic !== ARM64_IMAGE_MAGIC) r.fail("magic", ARM64_MAGIC_OFFSET, `0x${magic.toString(16)} is not "ARM\\x64" (0x644d5241)`);
  const textOffset = r.u64le("text_offset", ARM64_TEXT_OFFSET_OFFSET);
  const imageSize = r.u64le("image_size", ARM64_IMAGE_SIZE_OFFSET);
  const flags = r.u64le("flags", ARM64_FLAGS_OFFSET);
  const legacy = imageSize === 0n;
  const effectiveTextOffset = legacy ? ARM64_LEGACY_TEXT_OFFSET : textOffset;
  if (!legacy && textOffset >= ARM64_BASE_ALIGNMENT) {
    r.fail("text_offset", ARM64_TEXT_OFFSET_OFFSET, `${hex(textOffset)} does not lie within the 2 MiB alignment window of the load base`);
  }
  const effFlags = legacy ? 0n : flags;
  const res5 = r.u32le("res5", ARM64_RES5_OFFSET);
  const efiStub = checkEfiStubPeHeader(r, "res5", ARM64_RES5_OFFSET, res5);
  return {
    code0: r.u32le("code0", ARM64_CODE0_OFFSET),
    code1: r.u32le("code1", ARM64_CODE1_OFFSET),
    textOffset,
    imageSize,
    flags,
    res2: r.u64le("res2", ARM64_RES2_OFFSET),
    res3: r.u64le("res3", ARM64_RES3_OFFSET),
    res4: r.u64le("res4", ARM64_RES4_OFFSET),
    magic,
    res5,
    legacy,
    effectiveTextOffset,
    bigEndian: (effFlags & ARM64_FLAG_BE) !== 0n,
    pageSize: ARM64_PAGE_SIZES[Number((effFlags & ARM64_FLAG_PAGE_SIZE_MASK) >> ARM64_FLAG_PAGE_SIZE_SHIFT)]!,
    placeAnywhere: (effFlags & ARM64_FLAG_PHYS_PLACEMENT) !== 0n,
    reservedFlags: effFlags & ~0xfn,
    efiStub,
  };
}

/**
 * Parse an arm64 Image. The image is position-independent: the segment's
 * `mem` and the entry are offsets from the 2 MiB-aligned base a planner
 * chooses (base 0 here), i.e. `mem = text_offset`. memsz = image_size
 * (which includes BSS); for an old kernel (image_size 0) the file size.
 */
export function parseArm64Image(input: ImageInput, limits: Partial<ParseLimits> = {}): Image {
  const lim = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const r = new ByteReader(input.bytes, input.path, ARM64_IMAGE_FORMAT_ID);
  const h = readArm64ImageHeader(r);
  const fileSize = BigInt(r.length);
  const memsz = h.legacy ? fileSize : h.imageSize;
  if (memsz > lim.maxSegmentMemory) {
    r.fail("image_size", ARM64_IMAGE_SIZE_OFFSET, `${hex(memsz)} bytes exceed the limit ${hex(lim.maxSegmentMemory)}`);
  }
  // Issue 15: an image that is not whole is refused, not loaded. image_size covers the file and its BSS, so a
  // file longer than image_size is not this kernel (or its header lies) ...
  if (!h.legacy && h.imageSize < fileSize) {
    r.fail("image_size", ARM64_IMAGE_SIZE_OFFSET, `${hex(h.imageSize)} is smaller than the ${hex(fileSize)}-byte file`);
  }
  // ... and with an EFI stub, the PE section table says how long the file must be (kexec-tools and QEMU do not check).
  if (h.efiStub) {
    const pe = parsePe(r.bytes, r.file);
    if (BigInt(pe.rawEnd) > fileSize) {
      r.fail("PE section table", h.res5, `sections end at ${hex(pe.rawEnd)} but the file has ${hex(fileSize)} bytes: the image is cut short`);
    }
  }
  const bufsz = fileSize < memsz ? fileSize : memsz;
  return {
    format: ARM64_IMAGE_FORMAT_ID,
    arch: "arm64",
    entry: { phys: h.effectiveTextOffset },
    segments: [
      {
        data: { kind: "file", path: input.path, offset: 0, length: Number(bufsz) },
        bufsz,
        mem: h.effectiveTextOffset,
        memsz,
        role: "kernel",
        name: "Image",
      },
    ],
    placement: { kind: "relocatable", base: 0n, alignment: ARM64_BASE_ALIGNMENT },
    metadata: {
      code0: h.code0,
      code1: h.code1,
      text_offset: h.textOffset,
      image_size: h.imageSize,
      flags: h.flags,
      res2: h.res2,
      res3: h.res3,
      res4: h.res4,
      magic: h.magic,
      res5: h.res5,
      legacy: h.legacy,
      effectiveTextOffset: h.effectiveTextOffset,
      endianness: h.bigEndian ? "big" : "little",
      pageSize: h.pageSize,
      placeAnywhere: h.placeAnywhere,
      reservedFlags: h.reservedFlags,
      efiStub: h.efiStub,
      peHeaderOffset: h.efiStub ? h.res5 : undefined,
      trailingBytes: fileSize > memsz ? fileSize - memsz : 0n,
      placement: {
        kind: "relative",
        baseAlignment: ARM64_BASE_ALIGNMENT,
        note: "mem and entry are offsets from a 2 MiB-aligned base in RAM chosen at placement",
      },
    },
    source: { path: input.path, size: input.bytes.length },
  };
}

/** The arm64 Image `ImageFormat`. */
export const arm64ImageFormat: ImageFormat = {
  id: ARM64_IMAGE_FORMAT_ID,
  description: 'Linux arm64 Image (64-byte header, magic "ARM\\x64" at 56)',
  probe(input: ImageInput): boolean {
    return input.bytes.length >= ARM64_HEADER_SIZE && peekU32le(input.bytes, ARM64_MAGIC_OFFSET) === ARM64_IMAGE_MAGIC;
  },
  parse(input: ImageInput, limits?: Partial<ParseLimits>): Image {
    return parseArm64Image(input, limits);
  },
};
