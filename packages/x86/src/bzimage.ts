/**
 * x86 bzImage (Linux boot protocol >= 2.00 with LOADED_HIGH) as an `Image`:
 * the real-mode setup and the protected-mode kernel, both referenced as file
 * ranges. Source: Linux Documentation/arch/x86/boot.rst.
 */
import { ByteReader, DEFAULT_PARSE_LIMITS, checkedAdd64, detectCodec, hasMzSignature, hex, peekU32le, type Image, type ImageFormat, type ImageInput, type ParseLimits, type Segment } from "@handoff/core";
import {
  BOOT_FLAG_MAGIC,
  BOOT_FLAG_OFFSET,
  BZIMAGE_LOAD_ADDRESS,
  ENTRY64_OFFSET,
  KERNEL_INFO_MAGIC,
  LoadFlags,
  SETUP_HEADER_FIELDS,
  SETUP_HEADER_MAGIC,
  SETUP_HEADER_MAGIC_OFFSET,
  SetupHeader,
  XLoadFlags,
  flagNames,
  setupHeaderField,
} from "./setup-header.js";

/** Image format id of the x86 bzImage (Linux boot protocol). */
export const BZIMAGE_FORMAT_ID = "bzImage";

/**
 * Traditional real-mode base (boot.rst "Memory Layout"): where the setup
 * segment is placed by default. The 32/64-bit boot protocols do not load the
 * setup code at all; only its header is copied into boot_params.
 */
export const REAL_MODE_DEFAULT_BASE = 0x90000n;

/** boot.rst "The kernel_info": header, size, size_total, setup_type_max (16 bytes). */
export interface KernelInfo {
  readonly offset: number;
  readonly size: number;
  readonly sizeTotal: number;
  readonly setupTypeMax: number | undefined;
}

/** What a parsed bzImage says beyond the generic `Image`. */
export interface BzImageInfo {
  readonly header: SetupHeader;
  /** File offset of the protected-mode kernel ((setup_sects + 1) * 512). */
  readonly kernelOffset: number;
  readonly kernelFileSize: number;
  readonly kernelVersion: string | undefined;
  readonly kernelInfo: KernelInfo | undefined;
  /** Load address of the protected-mode kernel chosen by `parse`. */
  readonly loadAddress: bigint;
}

/** Parse a bzImage and return both the generic image and the decoded header. */
export function parseBzImage(input: ImageInput, limits: Partial<ParseLimits> = {}): { image: Image; info: BzImageInfo } {
  const lim = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const r = new ByteReader(input.bytes, input.path, BZIMAGE_FORMAT_ID);
  const hdr = SetupHeader.read(r);
  const f = hdr.fields;
  if (!hdr.isBzImage) {
    r.fail("loadflags", setupHeaderField("loadflags").offset, `LOADED_HIGH is clear: a zImage (loaded at 0x10000) is not a bzImage`);
  }
  const setupSize = hdr.setupSize;
  if (setupSize >= r.length) {
    r.fail("setup_sects", 0x1f1, `(${hdr.setupSects} + 1) * 512 = 0x${setupSize.toString(16)} leaves no protected-mode kernel in a 0x${r.length.toString(16)}-byte file`);
  }
  if (hdr.headerEnd > setupSize) {
    r.fail("jump", 0x201, `header end 0x${hdr.headerEnd.toString(16)} lies past the setup code (0x${setupSize.toString(16)})`);
  }
  const kernelOffset = setupSize;
  const kernelFileSize = r.length - kernelOffset;

  // syssize counts 16-byte paragraphs of protected-mode code (2.04+); trailing bytes (signatures) may follow.
  const syssize = f.syssize as number | undefined;
  if (syssize !== undefined && syssize * 16 > kernelFileSize) {
    r.fail("syssize", 0x1f4, `0x${syssize.toString(16)} paragraphs (0x${(syssize * 16).toString(16)} bytes) exceed the 0x${kernelFileSize.toString(16)} bytes after the setup`);
  }

  const kv = f.kernel_version as number;
  let kernelVersion: string | undefined;
  if (kv !== 0) {
    // boot.rst: the string is at kernel_version + 0x200 and lies within the setup code.
    kernelVersion = r.cString("kernel_version", kv + 0x200, setupSize);
  }

  const payloadOffset = f.payload_offset as number | undefined;
  const payloadLength = f.payload_length as number | undefined;
  if (payloadOffset !== undefined && payloadLength !== undefined && payloadOffset !== 0) {
    const end = checked(r, "payload_offset", 0x248, BigInt(kernelOffset), BigInt(payloadOffset));
    const payloadEnd = checked(r, "payload_length", 0x24c, end, BigInt(payloadLength));
    if (end > BigInt(r.length)) r.fail("payload_offset", 0x248, `payload at file offset ${hex(end)} is past the end of the file (${hex(r.length)})`);
    if (payloadEnd > BigInt(r.length)) r.fail("payload_length", 0x24c, `payload ends at file offset ${hex(payloadEnd)}, past the end of the file (${hex(r.length)})`);
  }

  const handover = f.handover_offset as number | undefined;
  if (handover !== undefined && (hdr.xloadflags & (XLoadFlags.XLF_EFI_HANDOVER_32 | XLoadFlags.XLF_EFI_HANDOVER_64)) && handover >= kernelFileSize) {
    r.fail("handover_offset", 0x264, `EFI handover entry 0x${handover.toString(16)} lies outside the 0x${kernelFileSize.toString(16)}-byte kernel`);
  }

  let kernelInfo: KernelInfo | undefined;
  const kio = f.kernel_info_offset as number | undefined;
  if (kio !== undefined && kio !== 0) {
    const at = kernelOffset + kio;
    if (!r.has(at, 12)) r.fail("kernel_info_offset", 0x268, `kernel_info at file offset 0x${at.toString(16)} is past the end of the file`);
    const magic = r.u32le("kernel_info.header", at);
    if (magic !== KERNEL_INFO_MAGIC) r.fail("kernel_info.header", at, `0x${magic.toString(16)} is not "LToP"`);
    const size = r.u32le("kernel_info.size", at + 4);
    const sizeTotal = r.u32le("kernel_info.size_total", at + 8);
    if (size < 12 || sizeTotal < size || !r.has(at, sizeTotal)) {
      r.fail("kernel_info.size_total", at + 8, `size 0x${size.toString(16)} / size_total 0x${sizeTotal.toString(16)} are inconsistent or run past the end of the file`);
    }
    kernelInfo = { offset: kio, size, sizeTotal, setupTypeMax: size >= 16 ? r.u32le("kernel_info.setup_type_max", at + 12) : undefined };
  }

  // Load address: a relocatable 64-bit kernel at its preferred address, otherwise the bzImage default (boot.rst).
  const is64 = hdr.hasKernel64Entry;
  const loadAddress = is64 && hdr.relocatable && hdr.prefAddress !== 0n ? hdr.prefAddress : BZIMAGE_LOAD_ADDRESS;
  // Issue 15: a header that cannot be loaded as written is refused, not guessed around.
  if (f.init_size !== undefined && hdr.initSize === 0) {
    r.fail("init_size", 0x260, "is 0: the kernel states no memory it needs to decompress and run (boot protocol 2.10+ requires it)");
  }
  const alignment = f.kernel_alignment as number | undefined;
  if (alignment !== undefined && ((alignment & (alignment - 1)) !== 0 || (alignment === 0 && hdr.relocatable))) {
    r.fail("kernel_alignment", 0x230, `0x${alignment.toString(16)} is not a power of two`);
  }
  const initSize = BigInt(hdr.initSize);
  const memsz = initSize > BigInt(kernelFileSize) ? initSize : BigInt(kernelFileSize);
  if (memsz > lim.maxSegmentMemory) {
    r.fail("init_size", 0x260, `kernel needs ${hex(memsz)} bytes, above the limit ${hex(lim.maxSegmentMemory)}`);
  }
  checked(r, "pref_address", 0x258, loadAddress, memsz);
  const entry = is64 ? checked(r, "pref_address", 0x258, loadAddress, ENTRY64_OFFSET) : BigInt(f.code32_start as number);

  const segments: Segment[] = [
    {
      data: { kind: "file", path: input.path, offset: 0, length: setupSize },
      bufsz: BigInt(setupSize),
      mem: REAL_MODE_DEFAULT_BASE,
      memsz: BigInt(setupSize),
      role: "setup",
      name: "real-mode setup",
    },
    {
      data: { kind: "file", path: input.path, offset: kernelOffset, length: kernelFileSize },
      bufsz: BigInt(kernelFileSize),
      mem: loadAddress,
      memsz,
      role: "kernel",
      name: "protected-mode kernel",
    },
  ];

  const headerFields: Record<string, number | bigint | undefined> = {};
  for (const field of SETUP_HEADER_FIELDS) headerFields[field.name] = f[field.name];

  const image: Image = {
    format: BZIMAGE_FORMAT_ID,
    arch: is64 ? "x86_64" : "x86_32",
    entry: { phys: entry },
    segments,
    metadata: {
      protocol: hdr.protocol,
      protocolVersion: hdr.version,
      setupSects: hdr.setupSects,
      setupSize,
      headerEnd: hdr.headerEnd,
      kernelOffset,
      kernelFileSize,
      kernelVersion,
      loadflagNames: flagNames(hdr.loadflags, LoadFlags),
      xloadflagNames: flagNames(hdr.xloadflags, XLoadFlags),
      entry64: is64,
      loadAddress,
      relocatable: hdr.relocatable,
      cmdlineSize: hdr.cmdlineSize,
      initrdAddrMax: hdr.initrdAddrMax,
      kernelInfo,
      efiStub: hasMzSignature(input.bytes),
      payload: payloadSummary(input, kernelOffset, payloadOffset, payloadLength),
      header: headerFields,
    },
    source: { path: input.path, size: input.bytes.length },
  };
  return { image, info: { header: hdr, kernelOffset, kernelFileSize, kernelVersion, kernelInfo, loadAddress } };
}

/** Where the compressed vmlinux lies and its codec (by magic): `inspect --payload` inflates it. */
function payloadSummary(input: ImageInput, kernelOffset: number, payloadOffset: number | undefined, payloadLength: number | undefined) {
  if (payloadOffset === undefined || payloadLength === undefined || payloadLength === 0) return undefined;
  const offset = kernelOffset + payloadOffset;
  return { offset, length: payloadLength, codec: detectCodec(input.bytes.subarray(offset, offset + payloadLength))?.id ?? "unknown" };
}

function checked(r: ByteReader, field: string, offset: number, a: bigint, b: bigint): bigint {
  try {
    return checkedAdd64(a, b, field);
  } catch {
    return r.fail(field, offset, `${hex(a)} + ${hex(b)} wraps past 2^64`);
  }
}

/** The bzImage `ImageFormat`, shared by the x86_32 and x86_64 architectures. */
export const bzImageFormat: ImageFormat = {
  id: BZIMAGE_FORMAT_ID,
  description: "Linux x86 bzImage (boot protocol >= 2.00, setup header at 0x1f1)",
  probe(input: ImageInput): boolean {
    const b = input.bytes;
    return (
      b.length > SETUP_HEADER_MAGIC_OFFSET + 4 &&
      (b[BOOT_FLAG_OFFSET]! | (b[BOOT_FLAG_OFFSET + 1]! << 8)) === BOOT_FLAG_MAGIC &&
      peekU32le(b, SETUP_HEADER_MAGIC_OFFSET) === SETUP_HEADER_MAGIC
    );
  },
  parse(input: ImageInput, limits?: Partial<ParseLimits>): Image {
    return parseBzImage(input, limits).image;
  },
};
