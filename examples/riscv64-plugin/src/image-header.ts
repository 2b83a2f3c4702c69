/**
 * The RISC-V Linux `Image` format: a 64-byte header at the start of the
 * uncompressed kernel. Source: Linux Documentation/arch/riscv/boot-image-header.rst
 * (header version 0.2); placement from Documentation/arch/riscv/boot.rst. All
 * fields little-endian.
 */
import { ByteReader, DEFAULT_PARSE_LIMITS, checkEfiStubPeHeader, hex, type Image, type ImageFormat, type ImageInput, type ParseLimits } from "@handoff/core";

export const RISCV_IMAGE_FORMAT_ID = "riscv64-Image";

/** boot-image-header.rst: u32 code0 @0, u32 code1 @4 (executable code; "MZ" in code0 for an EFI stub). */
export const RISCV_CODE0_OFFSET = 0;
export const RISCV_CODE1_OFFSET = 4;
/** u64 text_offset @8: "Image load offset, little endian". */
export const RISCV_TEXT_OFFSET_OFFSET = 8;
/** u64 image_size @16: "Effective Image size, little endian". */
export const RISCV_IMAGE_SIZE_OFFSET = 16;
/** u64 flags @24: "kernel flags, little endian"; bit 0 = endianness (0 little). */
export const RISCV_FLAGS_OFFSET = 24;
export const RISCV_FLAG_BE = 1n << 0n;
/** u32 version @32: major in bits 31:16, minor in bits 15:0. */
export const RISCV_VERSION_OFFSET = 32;
/** u32 res1 @36, u64 res2 @40: reserved. */
export const RISCV_RES1_OFFSET = 36;
export const RISCV_RES2_OFFSET = 40;
/** u64 magic @48 = "RISCV\0\0\0" (deprecated since header 0.2, still written). */
export const RISCV_MAGIC_OFFSET = 48;
export const RISCV_IMAGE_MAGIC = 0x5643534952n; // "RISCV" little-endian
/** u32 magic2 @56 = "RSC\x05" (header 0.2 onwards). */
export const RISCV_MAGIC2_OFFSET = 56;
export const RISCV_IMAGE_MAGIC2 = 0x05435352;
/** u32 res3 @60: reserved for the PE COFF header offset. */
export const RISCV_RES3_OFFSET = 60;
export const RISCV_HEADER_SIZE = 64;
/** boot.rst: on rv64 the kernel is loaded at a PMD-aligned (2 MiB) address. */
export const RISCV64_BASE_ALIGNMENT = 0x20_0000n;
/** Sv39/Sv48 physical addresses are 56 bits (Privileged ISA §10.5): nothing can load beyond. */
const PHYSICAL_LIMIT = 1n << 56n;

/** Decoded RISC-V Image header. */
export interface RiscvImageHeader {
  readonly code0: number;
  readonly code1: number;
  readonly textOffset: bigint;
  readonly imageSize: bigint;
  readonly flags: bigint;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly res1: number;
  readonly res2: bigint;
  /** True when the deprecated "RISCV\0\0\0" magic is present. */
  readonly legacyMagic: boolean;
  /** True when magic2 "RSC\x05" is present. */
  readonly magic2: boolean;
  readonly res3: number;
  /** "MZ" at offset 0: an EFI stub kernel, res3 is the PE header offset. */
  readonly efiStub: boolean;
}

/** Read and validate the 64-byte header. */
export function readRiscvImageHeader(r: ByteReader): RiscvImageHeader {
  r.require("header", 0, RISCV_HEADER_SIZE);
  const legacyMagic = r.u64le("magic", RISCV_MAGIC_OFFSET) === RISCV_IMAGE_MAGIC;
  const magic2 = r.u32le("magic2", RISCV_MAGIC2_OFFSET) === RISCV_IMAGE_MAGIC2;
  if (!magic2 && !legacyMagic) {
    r.fail("magic2", RISCV_MAGIC2_OFFSET, `0x${r.u32le("magic2", RISCV_MAGIC2_OFFSET).toString(16)} is not "RSC\\x05" (0x05435352), and magic @48 is not "RISCV\\0\\0\\0"`);
  }
  const flags = r.u64le("flags", RISCV_FLAGS_OFFSET);
  if ((flags & RISCV_FLAG_BE) !== 0n) r.fail("flags", RISCV_FLAGS_OFFSET, "bit 0 set: a big-endian kernel; riscv64 here boots little-endian only");
  const textOffset = r.u64le("text_offset", RISCV_TEXT_OFFSET_OFFSET);
  // The kernel lands at base + text_offset with base 2 MiB-aligned; it must itself be 2 MiB-aligned (boot.rst).
  if (textOffset % RISCV64_BASE_ALIGNMENT !== 0n) {
    r.fail("text_offset", RISCV_TEXT_OFFSET_OFFSET, `${hex(textOffset)} is not a multiple of 2 MiB, so the kernel could not sit PMD-aligned`);
  }
  const imageSize = r.u64le("image_size", RISCV_IMAGE_SIZE_OFFSET);
  // image_size covers everything the kernel occupies (text to _end, BSS included): never less than the file.
  if (imageSize < BigInt(r.length)) {
    r.fail("image_size", RISCV_IMAGE_SIZE_OFFSET, `${hex(imageSize)} is smaller than the ${hex(BigInt(r.length))}-byte file`);
  }
  const end = textOffset + imageSize; // bigint: no wrap, so a sum past 2^64 is caught by the limit below
  if (end > PHYSICAL_LIMIT) r.fail("text_offset", RISCV_TEXT_OFFSET_OFFSET, `text_offset + image_size = ${hex(end)} lies beyond the 56-bit physical address space`);
  const version = r.u32le("version", RISCV_VERSION_OFFSET);
  const res3 = r.u32le("res3", RISCV_RES3_OFFSET);
  const efiStub = checkEfiStubPeHeader(r, "res3", RISCV_RES3_OFFSET, res3);
  return {
    code0: r.u32le("code0", RISCV_CODE0_OFFSET),
    code1: r.u32le("code1", RISCV_CODE1_OFFSET),
    textOffset,
    imageSize,
    flags,
    versionMajor: version >>> 16,
    versionMinor: version & 0xffff,
    res1: r.u32le("res1", RISCV_RES1_OFFSET),
    res2: r.u64le("res2", RISCV_RES2_OFFSET),
    legacyMagic,
    magic2,
    res3,
    efiStub,
  };
}

/**
 * Parse a RISC-V Image. It is position-independent: `mem` and the entry are
 * offsets from a 2 MiB-aligned base (the start of RAM) chosen at placement,
 * i.e. `mem = text_offset`; `rebaseImage(image, base)` places it. memsz =
 * image_size (BSS included).
 */
export function parseRiscvImage(input: ImageInput, limits: Partial<ParseLimits> = {}): Image {
  const lim = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const r = new ByteReader(input.bytes, input.path, RISCV_IMAGE_FORMAT_ID);
  const h = readRiscvImageHeader(r);
  if (h.imageSize > lim.maxSegmentMemory) {
    r.fail("image_size", RISCV_IMAGE_SIZE_OFFSET, `${hex(h.imageSize)} bytes exceed the limit ${hex(lim.maxSegmentMemory)}`);
  }
  const fileSize = BigInt(r.length);
  return {
    format: RISCV_IMAGE_FORMAT_ID,
    arch: "riscv64",
    entry: { phys: h.textOffset },
    segments: [
      {
        data: { kind: "file", path: input.path, offset: 0, length: r.length },
        bufsz: fileSize,
        mem: h.textOffset,
        memsz: h.imageSize,
        role: "kernel",
        name: "Image",
      },
    ],
    placement: { kind: "relocatable", base: 0n, alignment: RISCV64_BASE_ALIGNMENT },
    metadata: {
      code0: h.code0,
      code1: h.code1,
      text_offset: h.textOffset,
      image_size: h.imageSize,
      flags: h.flags,
      version: `${h.versionMajor}.${h.versionMinor}`,
      res1: h.res1,
      res2: h.res2,
      legacyMagic: h.legacyMagic,
      magic2: h.magic2,
      res3: h.res3,
      endianness: "little",
      efiStub: h.efiStub,
      peHeaderOffset: h.efiStub ? h.res3 : undefined,
    },
    source: { path: input.path, size: input.bytes.length },
  };
}

/** The RISC-V Image `ImageFormat`. */
export const riscvImageFormat: ImageFormat = {
  id: RISCV_IMAGE_FORMAT_ID,
  description: 'Linux RISC-V Image (64-byte header, magic2 "RSC\\x05" at 56)',
  probe(input: ImageInput): boolean {
    const b = input.bytes;
    if (b.length < RISCV_HEADER_SIZE) return false;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return v.getUint32(RISCV_MAGIC2_OFFSET, true) === RISCV_IMAGE_MAGIC2 || v.getBigUint64(RISCV_MAGIC_OFFSET, true) === RISCV_IMAGE_MAGIC;
  },
  parse(input: ImageInput, limits?: Partial<ParseLimits>): Image {
    return parseRiscvImage(input, limits);
  },
};
