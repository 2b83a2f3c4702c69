/**
 * The arm32 Linux `zImage` (self-decompressing kernel). Facts from Linux
 * arch/arm/boot/compressed/head.S and vmlinux.lds.S (and the kexec_file
 * definitions in arch/arm/include/asm/image.h):
 *
 *   0x24  u32  magic 0x016f2818
 *   0x28  u32  start: absolute load/run address of the zImage (0 = position independent)
 *   0x2c  u32  end: zImage end address (_edata)
 *   0x30  u32  0x04030201 endianness marker (newer kernels)
 *   0x34  u32  0x45454545: an extension table follows
 *   0x38  u32  offset of the extension table from the start of the zImage
 *
 * The magic/start/end/table words are stored little-endian even in BE8
 * kernels (ZIMAGE_MAGIC() swaps them); the endianness marker is not, so it
 * reads 0x01020304 for a big-endian kernel. Extension table entries are
 * `{u32 size_in_words (incl. this 2-word header), u32 tag, data...}`, ended by
 * a zero size; tag "KLSZ" (0x5a534c4b) carries the decompressed kernel size
 * pointer, its BSS size, TEXT_OFFSET and the decompressor malloc size.
 * A DTB may be appended right after `end` (CONFIG_ARM_APPENDED_DTB): it begins
 * with the big-endian FDT magic 0xd00dfeed.
 */
import { ByteReader, DEFAULT_PARSE_LIMITS, hasMzSignature, hex, peekU32le, type Image, type ImageFormat, type ImageInput, type ParseLimits } from "@handoff/core";

/** Image format id of the Arm zImage (compressed kernel with its self-decompressing header). */
export const ZIMAGE_FORMAT_ID = "zImage";

export const ZIMAGE_MAGIC_OFFSET = 0x24;
/** Magic word at `ZIMAGE_MAGIC_OFFSET` (0x24) that marks an Arm zImage. */
export const ZIMAGE_MAGIC = 0x016f2818;
export const ZIMAGE_START_OFFSET = 0x28;
export const ZIMAGE_END_OFFSET = 0x2c;
export const ZIMAGE_ENDIAN_OFFSET = 0x30;
export const ZIMAGE_ENDIAN_LE = 0x04030201;
/** The same word written by a big-endian (BE8) kernel, read little-endian. */
export const ZIMAGE_ENDIAN_BE = 0x01020304;
export const ZIMAGE_MAGIC2_OFFSET = 0x34;
export const ZIMAGE_MAGIC2 = 0x45454545;
export const ZIMAGE_TABLE_OFFSET_OFFSET = 0x38;
/** Extension tag "KLSZ": kernel size information. */
export const ZIMAGE_TAG_KRNL_SIZE = 0x5a534c4b;
/** Devicetree Specification v0.4 §5.2: FDT header magic, big-endian. */
export const FDT_MAGIC = 0xd00dfeed;
/** Upper bound on extension table entries walked (the kernel emits one). */
export const ZIMAGE_MAX_TAGS = 64;

/** One entry of the zImage extension tag table, as found at `offset`. */
export interface ZImageTag {
  readonly offset: number;
  readonly sizeWords: number;
  readonly tag: number;
  readonly data: readonly number[];
}

/** Decoded KLSZ tag. */
export interface ZImageKernelSize {
  /** Offset (from the zImage start) of the u32 holding the decompressed kernel size. */
  readonly sizePtr: number;
  /** Decompressed kernel size read at sizePtr. */
  readonly decompressedSize: number;
  readonly bssSize: number;
  readonly textOffset: number | undefined;
  readonly mallocSize: number | undefined;
}

/** A decoded zImage header: start and end, size, byte order, extension tags, kernel size and any appended DTB. */
export interface ZImageInfo {
  readonly start: number;
  readonly end: number;
  /** end - start: bytes of the zImage proper. */
  readonly size: number;
  /** end - start: larger than `size` only for a zImage whose end includes BSS (Xen's). */
  readonly memSize: number;
  readonly endianness: "little" | "big" | "unknown";
  readonly tags: readonly ZImageTag[];
  readonly kernelSize: ZImageKernelSize | undefined;
  readonly appendedDtb: { readonly offset: number; readonly size: number } | undefined;
}

/** Read and validate the zImage header, extension table and any appended DTB. */
export function readZImage(r: ByteReader): ZImageInfo {
  r.require("header", 0, ZIMAGE_END_OFFSET + 4);
  const magic = r.u32le("magic", ZIMAGE_MAGIC_OFFSET);
  if (magic !== ZIMAGE_MAGIC) r.fail("magic", ZIMAGE_MAGIC_OFFSET, `0x${magic.toString(16)} is not 0x016f2818`);
  const start = r.u32le("start", ZIMAGE_START_OFFSET);
  const end = r.u32le("end", ZIMAGE_END_OFFSET);
  if (end <= start) r.fail("end", ZIMAGE_END_OFFSET, `end 0x${end.toString(16)} is not above start 0x${start.toString(16)}`);
  let size = end - start;
  let memSize = size;
  if (size > r.length) {
    // Linux's zImage ends at _edata and carries the endianness flag at 0x30: longer than the file is a cut-off file.
    // Xen's arm32 zImage header has no flag and its end is _end, BSS included: the file holds the first part.
    const linuxFlag = r.has(ZIMAGE_ENDIAN_OFFSET, 4) && [ZIMAGE_ENDIAN_LE, ZIMAGE_ENDIAN_BE].includes(r.u32le("endian", ZIMAGE_ENDIAN_OFFSET));
    if (linuxFlag) r.fail("end", ZIMAGE_END_OFFSET, `zImage of 0x${size.toString(16)} bytes (end - start) is larger than the 0x${r.length.toString(16)}-byte file`);
    memSize = size;
    size = r.length;
  }
  if (size < ZIMAGE_END_OFFSET + 4) r.fail("end", ZIMAGE_END_OFFSET, `zImage of 0x${size.toString(16)} bytes cannot hold its own header`);

  let endianness: ZImageInfo["endianness"] = "unknown";
  let tags: ZImageTag[] = [];
  let kernelSize: ZImageKernelSize | undefined;
  if (r.has(ZIMAGE_ENDIAN_OFFSET, 4) && size >= ZIMAGE_ENDIAN_OFFSET + 4) {
    const marker = r.u32le("endian", ZIMAGE_ENDIAN_OFFSET);
    endianness = marker === ZIMAGE_ENDIAN_LE ? "little" : marker === ZIMAGE_ENDIAN_BE ? "big" : "unknown";
  }
  if (size >= ZIMAGE_TABLE_OFFSET_OFFSET + 4 && r.u32le("magic2", ZIMAGE_MAGIC2_OFFSET) === ZIMAGE_MAGIC2) {
    tags = readTags(r, r.u32le("extension_table", ZIMAGE_TABLE_OFFSET_OFFSET), size);
    const klsz = tags.find((t) => t.tag === ZIMAGE_TAG_KRNL_SIZE);
    if (klsz) {
      if (klsz.data.length < 2) r.fail("KLSZ", klsz.offset, `tag has ${klsz.data.length} data words, needs at least 2`);
      const sizePtr = klsz.data[0]!;
      if (!r.has(sizePtr, 4) || sizePtr + 4 > size) {
        r.fail("KLSZ.size_ptr", klsz.offset + 8, `decompressed-size pointer 0x${sizePtr.toString(16)} lies outside the zImage`);
      }
      kernelSize = {
        sizePtr,
        decompressedSize: r.u32le("KLSZ.size", sizePtr),
        bssSize: klsz.data[1]!,
        textOffset: klsz.data[2],
        mallocSize: klsz.data[3],
      };
    }
  }

  let appendedDtb: ZImageInfo["appendedDtb"];
  if (r.has(size, 8) && r.u32be("appended_dtb.magic", size) === FDT_MAGIC) {
    const dtbSize = r.u32be("appended_dtb.totalsize", size + 4);
    if (dtbSize < 40 || !r.has(size, dtbSize)) {
      r.fail("appended_dtb.totalsize", size + 4, `appended DTB of 0x${dtbSize.toString(16)} bytes does not fit the 0x${(r.length - size).toString(16)} bytes after the zImage`);
    }
    appendedDtb = { offset: size, size: dtbSize };
  }
  return { start, end, size, memSize, endianness, tags, kernelSize, appendedDtb };
}

function readTags(r: ByteReader, tableOffset: number, size: number): ZImageTag[] {
  const tags: ZImageTag[] = [];
  let at = tableOffset;
  if (at % 4 !== 0 || at >= size) r.fail("extension_table", ZIMAGE_TABLE_OFFSET_OFFSET, `table offset 0x${at.toString(16)} is unaligned or outside the zImage`);
  for (let i = 0; ; i++) {
    if (i >= ZIMAGE_MAX_TAGS) r.fail("extension_table", tableOffset, `more than ${ZIMAGE_MAX_TAGS} entries`);
    if (at + 4 > size) r.fail(`extension_table[${i}].size`, at, "runs past the end of the zImage without a terminating zero size");
    const sizeWords = r.u32le(`extension_table[${i}].size`, at);
    if (sizeWords === 0) return tags;
    if (sizeWords < 2 || sizeWords > (size - at) / 4) {
      r.fail(`extension_table[${i}].size`, at, `${sizeWords} words does not fit between 0x${at.toString(16)} and the zImage end 0x${size.toString(16)}`);
    }
    const tag = r.u32le(`extension_table[${i}].tag`, at + 4);
    const data: number[] = [];
    for (let w = 2; w < sizeWords; w++) data.push(r.u32le(`extension_table[${i}].data`, at + 4 * w));
    tags.push({ offset: at, sizeWords, tag, data });
    at += 4 * sizeWords;
  }
}

/**
 * Parse a zImage into one kernel segment covering the zImage (and an
 * appended DTB, which the decompressor expects right after it). mem and the
 * entry are the `start` field: 0 for a position-independent zImage, meaning
 * "offset from wherever it is placed".
 */
export function parseZImage(input: ImageInput, limits: Partial<ParseLimits> = {}): Image {
  const lim = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const r = new ByteReader(input.bytes, input.path, ZIMAGE_FORMAT_ID);
  const z = readZImage(r);
  const length = z.size + (z.appendedDtb?.size ?? 0);
  if (BigInt(length) > lim.maxSegmentMemory) r.fail("end", ZIMAGE_END_OFFSET, `${hex(length)} bytes exceed the limit ${hex(lim.maxSegmentMemory)}`);
  return {
    format: ZIMAGE_FORMAT_ID,
    arch: "arm32",
    entry: { phys: BigInt(z.start) },
    segments: [
      {
        data: { kind: "file", path: input.path, offset: 0, length },
        bufsz: BigInt(length),
        mem: BigInt(z.start),
        memsz: BigInt(Math.max(length, z.memSize)),
        role: "kernel",
        name: z.appendedDtb ? "zImage + appended DTB" : "zImage",
      },
    ],
    // start 0 marks a position-independent decompressor (Linux
    // Documentation/arch/arm/booting.rst: "placed anywhere within memory");
    // page alignment is our choice, not a requirement of the format.
    placement: z.start === 0 ? { kind: "relocatable", base: 0n, alignment: 0x1000n } : { kind: "fixed" },
    metadata: {
      magic: ZIMAGE_MAGIC,
      start: z.start,
      end: z.end,
      size: z.size,
      endianness: z.endianness,
      positionIndependent: z.start === 0,
      extensionTags: z.tags.map((t) => ({ offset: t.offset, tag: tagName(t.tag), sizeWords: t.sizeWords, data: t.data })),
      decompressedSize: z.kernelSize?.decompressedSize,
      kernelBssSize: z.kernelSize?.bssSize,
      kernelTextOffset: z.kernelSize?.textOffset,
      decompressorMallocSize: z.kernelSize?.mallocSize,
      appendedDtb: z.appendedDtb,
      trailingBytes: r.length - length,
      efiStub: hasMzSignature(input.bytes),
    },
    source: { path: input.path, size: input.bytes.length },
  };
}

/** "KLSZ" for 0x5a534c4b (the tag is four ASCII bytes, little-endian), else hex. */
function tagName(tag: number): string {
  const chars = [0, 8, 16, 24].map((s) => (tag >>> s) & 0xff);
  return chars.every((c) => c >= 0x20 && c < 0x7f) ? String.fromCharCode(...chars) : hex(tag);
}

/** The arm32 zImage `ImageFormat`. */
export const zImageFormat: ImageFormat = {
  id: ZIMAGE_FORMAT_ID,
  description: "Linux arm32 zImage (magic 0x016f2818 at 0x24)",
  probe(input: ImageInput): boolean {
    return peekU32le(input.bytes, ZIMAGE_MAGIC_OFFSET) === ZIMAGE_MAGIC;
  },
  parse(input: ImageInput, limits?: Partial<ParseLimits>): Image {
    return parseZImage(input, limits);
  },
};
