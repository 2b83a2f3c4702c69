// PE-based containers: the EFI zboot image (drivers/firmware/efi/libstub/zboot-header.S)
// and the Unified Kernel Image (UAPI group UKI spec: .linux, .initrd, .cmdline, .dtb... sections).
import { ByteReader } from "../byte-reader.js";
import { FormatError } from "../errors.js";
import type { ImageInput } from "../image-format.js";
import type { CodecId } from "../compression/codec.js";
import { inflate } from "../compression/inflate.js";
import { inflateOptions, type ContainerExtras, type ContainerStep, type UnwrapOptions } from "./layer.js";
import { looksLikePe, parsePe, peSectionData } from "./pe.js";

/** "zimg" at offset 4 marks an EFI zboot image. */
const ZBOOT_IMAGE_TYPE_OFFSET = 4;
const ZBOOT_PAYLOAD_OFFSET = 8;
const ZBOOT_PAYLOAD_SIZE = 12;
/** NUL-terminated compression type ("gzip", "zstd22", ...), before the PE magic at 0x38. */
const ZBOOT_COMPRESSION_TYPE = 24;
const ZBOOT_COMPRESSION_TYPE_END = 0x38;
/** zboot compression names (Makefile.zboot `comp-type-y`) to codecs. */
const ZBOOT_CODECS: Readonly<Record<string, CodecId>> = { gzip: "gzip", lz4: "lz4", lzma: "lzma", xzkern: "xz", xz: "xz", zstd22: "zstd", zstd: "zstd", bzip2: "bzip2" };

const LATIN1 = new TextDecoder("latin1");
const UTF8 = new TextDecoder("utf-8", { fatal: false });

/** The PE container `bytes` is: a zboot ("zimg" type), a UKI (has `.linux`), or neither. Never throws. */
export function peContainerKind(bytes: Uint8Array): "zboot" | "uki" | undefined {
  if (!looksLikePe(bytes)) return undefined;
  if (LATIN1.decode(bytes.subarray(ZBOOT_IMAGE_TYPE_OFFSET, ZBOOT_IMAGE_TYPE_OFFSET + 4)) === "zimg") return "zboot";
  try {
    return parsePe(bytes, "<probe>").sections.some((s) => s.name === ".linux") ? "uki" : undefined;
  } catch {
    return undefined;
  }
}

export function unwrapZboot(input: ImageInput, options: UnwrapOptions): ContainerStep {
  const r = new ByteReader(input.bytes, input.path, "EFI zboot");
  const offset = r.u32le("payload_offset", ZBOOT_PAYLOAD_OFFSET);
  const size = r.u32le("payload_size", ZBOOT_PAYLOAD_SIZE);
  const typeName = r.cString("compression_type", ZBOOT_COMPRESSION_TYPE, ZBOOT_COMPRESSION_TYPE_END);
  const codec = ZBOOT_CODECS[typeName];
  if (codec === undefined) r.fail("compression_type", ZBOOT_COMPRESSION_TYPE, `'${typeName}' is not a codec handoff inflates (${Object.keys(ZBOOT_CODECS).join(", ")})`);
  r.require("payload_offset + payload_size", offset, size);
  // Makefile.zboot appends the inflated size (size_append) after the payload; payload_size excludes it.
  const hasTrailer = r.has(offset, size + 4);
  const payload = input.bytes.subarray(offset, offset + size + (hasTrailer ? 4 : 0));
  const pe = parsePe(input.bytes, input.path);
  const inflated = inflate(payload, { file: input.path, offset, codec, sizeTrailer: hasTrailer, ...inflateOptions(options) });
  return {
    layer: {
      kind: "zboot",
      file: input.path,
      payloadOffset: offset,
      payloadLength: size,
      codec,
      innerSize: inflated.bytes.length,
      machine: { scheme: "pe", value: pe.machine },
      fields: { compression_type: typeName, payload_offset: offset, payload_size: size, size_trailer: hasTrailer, pe_machine: pe.machine, sections: pe.sections.map((s) => s.name) },
    },
    inner: { path: `${input.path}[zboot ${codec}]`, bytes: inflated.bytes },
    complete: inflated.complete,
  };
}

export function unwrapUki(input: ImageInput): ContainerStep {
  const pe = parsePe(input.bytes, input.path);
  if (input.bytes.length < pe.rawEnd) throw new FormatError(input.path, "UKI", "section table", pe.peOffset, `sections end at 0x${pe.rawEnd.toString(16)} but the file is ${input.bytes.length} bytes`);
  const section = (name: string): Uint8Array | undefined => {
    const i = pe.sections.findIndex((s) => s.name === name);
    return i < 0 ? undefined : peSectionData(input.bytes, input.path, pe.sections[i]!, i);
  };
  const linux = section(".linux")!;
  const linuxSection = pe.sections.find((s) => s.name === ".linux")!;
  const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : UTF8.decode(b).replace(/\0+$/, ""));
  const extras: ContainerExtras = {
    ...(section(".initrd") ? { initrd: section(".initrd")! } : {}),
    ...(section(".cmdline") ? { cmdline: text(section(".cmdline"))!.trim() } : {}),
    ...(section(".dtb") ? { dtb: section(".dtb")! } : {}),
    ...(section(".osrel") ? { osrel: text(section(".osrel"))! } : {}),
    ...(section(".uname") ? { uname: text(section(".uname"))! } : {}),
  };
  return {
    layer: {
      kind: "uki",
      file: input.path,
      payloadOffset: linuxSection.rawOffset,
      payloadLength: linux.length,
      innerSize: linux.length,
      machine: { scheme: "pe", value: pe.machine },
      fields: {
        pe_machine: pe.machine,
        sections: pe.sections.map((s) => ({ name: s.name, offset: s.rawOffset, size: Math.min(s.virtualSize || s.rawSize, s.rawSize), vaddr: s.virtualAddress })),
        ...(extras.cmdline !== undefined ? { cmdline: extras.cmdline } : {}),
        ...(extras.uname !== undefined ? { uname: extras.uname } : {}),
        ...(extras.osrel !== undefined ? { os_release: osReleaseName(extras.osrel) } : {}),
      },
    },
    inner: { path: `${input.path}[.linux]`, bytes: linux },
    extras,
    complete: true,
  };
}

function osReleaseName(osrel: string): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osrel) ?? /^NAME="?([^"\n]*)"?/m.exec(osrel);
  return m ? m[1]! : osrel.split("\n")[0]!;
}
