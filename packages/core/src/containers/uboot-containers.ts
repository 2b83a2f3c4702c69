// U-Boot's containers: the legacy uImage (include/image.h `struct legacy_img_hdr`,
// big-endian) and the FIT (a flattened device tree with /images and /configurations,
// doc/usage/fit/source_file_format.rst).
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { ByteReader, peekU32be } from "../byte-reader.js";
import { FormatError } from "../errors.js";
import { parseFdt } from "../fdt/reader.js";
import type { FdtNode } from "../fdt/tree.js";
import type { ImageInput } from "../image-format.js";
import type { CodecId } from "../compression/codec.js";
import { crc32 } from "../compression/checksums.js";
import { inflate } from "../compression/inflate.js";
import { inflateOptions, type ContainerExtras, type ContainerStep, type UnwrapOptions } from "./layer.js";

const UIMAGE_MAGIC = 0x27051956;
const UIMAGE_HEADER_SIZE = 64;
const UIMAGE = { hcrc: 4, time: 8, size: 12, load: 16, ep: 20, dcrc: 24, os: 28, arch: 29, type: 30, comp: 31, name: 32 } as const;
/** ih_comp values (IH_COMP_*). */
const UIMAGE_COMPRESSION: readonly (CodecId | "none" | "lzo")[] = ["none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd"];
/** ih_type: IH_TYPE_KERNEL and IH_TYPE_KERNEL_NOLOAD. */
const UIMAGE_TYPE_KERNEL = 2;
const UIMAGE_TYPE_KERNEL_NOLOAD = 14;
const UIMAGE_TYPE_NAMES: Readonly<Record<number, string>> = { 1: "standalone", 2: "kernel", 3: "ramdisk", 4: "multi", 5: "firmware", 6: "script", 7: "filesystem", 8: "flat_dt", 14: "kernel_noload" };

const FDT_MAGIC = 0xd00dfeed;
const FIT_COMPRESSION: Readonly<Record<string, CodecId | "none">> = { none: "none", gzip: "gzip", bzip2: "bzip2", lzma: "lzma", lz4: "lz4", zstd: "zstd", xz: "xz" };

const LATIN1 = new TextDecoder("latin1");

/** The U-Boot container `bytes` is: a uImage (its magic) or a FIT (a DTB with /images and /configurations). Never throws. */
export function ubootContainerKind(bytes: Uint8Array): "uImage" | "FIT" | undefined {
  const magic = peekU32be(bytes, 0);
  if (magic === UIMAGE_MAGIC) return "uImage";
  if (magic !== FDT_MAGIC) return undefined;
  try {
    const { tree } = parseFdt(bytes, "<probe>");
    return tree.find("/images") && tree.find("/configurations") ? "FIT" : undefined;
  } catch {
    return undefined;
  }
}

export function unwrapUImage(input: ImageInput, options: UnwrapOptions): ContainerStep {
  const r = new ByteReader(input.bytes, input.path, "uImage");
  r.require("header", 0, UIMAGE_HEADER_SIZE);
  const header = input.bytes.slice(0, UIMAGE_HEADER_SIZE);
  const hcrc = r.u32be("ih_hcrc", UIMAGE.hcrc);
  header.fill(0, UIMAGE.hcrc, UIMAGE.hcrc + 4);
  if (crc32(header) !== hcrc) r.fail("ih_hcrc", UIMAGE.hcrc, `0x${hcrc.toString(16)} does not match the header's CRC-32 0x${crc32(header).toString(16)}`);
  const size = r.u32be("ih_size", UIMAGE.size);
  r.require("ih_size", UIMAGE_HEADER_SIZE, size);
  const data = input.bytes.subarray(UIMAGE_HEADER_SIZE, UIMAGE_HEADER_SIZE + size);
  const dcrc = r.u32be("ih_dcrc", UIMAGE.dcrc);
  if (options.prefixOnly === undefined && crc32(data) !== dcrc) r.fail("ih_dcrc", UIMAGE.dcrc, `0x${dcrc.toString(16)} does not match the data's CRC-32 0x${crc32(data).toString(16)}`);
  const type = r.u8("ih_type", UIMAGE.type);
  if (type !== UIMAGE_TYPE_KERNEL && type !== UIMAGE_TYPE_KERNEL_NOLOAD) r.fail("ih_type", UIMAGE.type, `${type} (${UIMAGE_TYPE_NAMES[type] ?? "unknown"}) is not a kernel image`);
  const compIndex = r.u8("ih_comp", UIMAGE.comp);
  const compName = UIMAGE_COMPRESSION[compIndex];
  if (compName === undefined || compName === "lzo") r.fail("ih_comp", UIMAGE.comp, `compression ${compIndex}${compName ? ` (${compName})` : ""} is not one handoff inflates`);
  const comp = compName as CodecId | "none";
  const archCode = r.u8("ih_arch", UIMAGE.arch);
  const nameBytes = input.bytes.subarray(UIMAGE.name, UIMAGE.name + 32);
  const nul = nameBytes.indexOf(0);
  const fields = {
    ih_name: LATIN1.decode(nameBytes.subarray(0, nul < 0 ? 32 : nul)),
    ih_load: BigInt(r.u32be("ih_load", UIMAGE.load)),
    ih_ep: BigInt(r.u32be("ih_ep", UIMAGE.ep)),
    ih_size: size,
    ih_time: r.u32be("ih_time", UIMAGE.time),
    ih_os: r.u8("ih_os", UIMAGE.os),
    ih_arch: archCode,
    ih_type: UIMAGE_TYPE_NAMES[type],
    ih_comp: comp,
    ih_hcrc: hcrc,
    ih_dcrc: dcrc,
  };
  let inner = data;
  let complete = true;
  if (comp !== "none") {
    const inflated = inflate(data, { file: input.path, offset: UIMAGE_HEADER_SIZE, codec: comp, ...inflateOptions(options) });
    inner = inflated.bytes;
    complete = inflated.complete;
  }
  return {
    // ih_arch stays a number: which architecture it is, the registered architectures say (openImage resolves it).
    layer: { kind: "uImage", file: input.path, payloadOffset: UIMAGE_HEADER_SIZE, payloadLength: size, ...(comp !== "none" ? { codec: comp } : {}), innerSize: inner.length, machine: { scheme: "uImage", value: archCode }, fields },
    inner: { path: `${input.path}[uImage${comp !== "none" ? ` ${comp}` : ""}]`, bytes: inner },
    complete,
  };
}

/** One FIT image node resolved: its stored bytes (hashes checked) and what it says about itself. */
interface FitImage {
  readonly name: string;
  readonly data: Uint8Array;
  readonly dataOffset: number;
  readonly compression: CodecId | "none";
  readonly fields: Record<string, unknown>;
}

export function unwrapFit(input: ImageInput, options: UnwrapOptions): ContainerStep {
  const { tree, header } = parseFdt(input.bytes, input.path);
  const fail = (field: string, reason: string): never => {
    throw new FormatError(input.path, "FIT", field, undefined, reason);
  };
  const images = tree.find("/images")!;
  const configs = tree.find("/configurations")!;
  const defaultName = configs.property("default")?.string();
  const config = defaultName !== undefined ? configs.child(defaultName) : configs.children[0];
  if (config === undefined) fail("/configurations/default", defaultName === undefined ? "there is no configuration" : `names '${defaultName}', which is not a configuration`);
  const ref = (prop: string): string | undefined => config!.property(prop)?.strings()[0];
  const externalBase = (header.totalsize + 3) & ~3;
  const resolve = (prop: string): FitImage | undefined => {
    const name = ref(prop);
    if (name === undefined) return undefined;
    const node = images.child(name);
    if (node === undefined) fail(`/configurations/${config!.name}/${prop}`, `names image '${name}', which /images does not have`);
    return fitImage(node!, input, externalBase, options, fail);
  };
  const kernel = resolve("kernel");
  if (kernel === undefined) fail(`/configurations/${config!.name}/kernel`, "the default configuration has no kernel");
  const ramdisk = resolve("ramdisk");
  const fdt = resolve("fdt");
  let inner = kernel!.data;
  let complete = true;
  if (kernel!.compression !== "none") {
    const inflated = inflate(kernel!.data, { file: input.path, offset: kernel!.dataOffset, codec: kernel!.compression, ...inflateOptions(options) });
    inner = inflated.bytes;
    complete = inflated.complete;
  }
  const inflatePart = (part: FitImage | undefined) => (part === undefined || part.compression === "none" ? part?.data : inflate(part.data, { file: input.path, offset: part.dataOffset, codec: part.compression, ...inflateOptions({ ...options, prefixOnly: undefined }) }).bytes);
  const extras: ContainerExtras = {
    ...(ramdisk ? { initrd: ramdisk.data } : {}),
    ...(fdt ? { dtb: inflatePart(fdt)! } : {}),
  };
  return {
    layer: {
      kind: "FIT",
      file: input.path,
      payloadOffset: kernel!.dataOffset,
      payloadLength: kernel!.data.length,
      ...(kernel!.compression !== "none" ? { codec: kernel!.compression } : {}),
      innerSize: inner.length,
      ...(typeof kernel!.fields.arch === "string" ? { machine: { scheme: "fit", value: kernel!.fields.arch } } : {}),
      fields: {
        configuration: config!.name,
        description: config!.property("description")?.strings()[0] ?? null,
        kernel: kernel!.fields,
        ...(ramdisk ? { ramdisk: ramdisk.fields } : {}),
        ...(fdt ? { fdt: fdt.fields } : {}),
      },
    },
    inner: { path: `${input.path}[FIT ${kernel!.name}]`, bytes: inner },
    extras,
    complete,
  };
}

function fitImage(node: FdtNode, input: ImageInput, externalBase: number, options: UnwrapOptions, fail: (field: string, reason: string) => never): FitImage {
  const path = `/images/${node.name}`;
  let data: Uint8Array;
  let dataOffset: number;
  const embedded = node.property("data");
  if (embedded) {
    data = embedded.value;
    dataOffset = embedded.origin?.offset ?? 0;
  } else {
    const size = node.property("data-size")?.u32();
    const position = node.property("data-position")?.u32();
    const offset = node.property("data-offset")?.u32();
    if (size === undefined || (position === undefined && offset === undefined)) fail(path, "has neither data nor data-size with data-offset/data-position");
    dataOffset = position ?? externalBase + offset!;
    const r = new ByteReader(input.bytes, input.path, "FIT");
    data = r.slice(`${path}/data-size`, dataOffset, size!);
  }
  const compressionName = node.property("compression")?.string() ?? "none";
  const compression = FIT_COMPRESSION[compressionName];
  if (compression === undefined) fail(`${path}/compression`, `'${compressionName}' is not a codec handoff inflates`);
  const hashes: Record<string, string>[] = [];
  for (const child of node.children) {
    if (!child.name.startsWith("hash")) continue;
    const algo = child.property("algo")?.string();
    const value = child.property("value")?.value;
    if (algo === undefined || value === undefined) fail(`${path}/${child.name}`, "needs algo and value");
    if (options.prefixOnly === undefined) {
      const got = fitHash(algo!, data, () => fail(`${path}/${child.name}/algo`, `'${algo}' is not a hash handoff checks (crc32, md5, sha1, sha256, sha384, sha512)`));
      if (got.length !== value!.length || got.some((b, i) => b !== value![i])) {
        throw new FormatError(input.path, "FIT", `${path}/${child.name}/value`, child.property("value")!.origin?.offset, `${algo} of the image data does not match`);
      }
    }
    hashes.push({ node: child.name, algo: algo! });
  }
  const str = (p: string) => node.property(p)?.strings()[0] ?? null;
  const archName = str("arch");
  const uint = (p: string) => {
    const prop = node.property(p);
    return prop === undefined ? null : prop.uint();
  };
  return {
    name: node.name,
    data,
    dataOffset,
    compression: compression!,
    fields: {
      image: node.name,
      description: str("description"),
      type: str("type"),
      arch: archName,
      os: str("os"),
      compression: compressionName,
      load: uint("load"),
      entry: uint("entry"),
      offset: dataOffset,
      size: data.length,
      hashes: hashes.map((h) => h.algo).join(", ") || "none",
    },
  };
}

function fitHash(algo: string, data: Uint8Array, unknown: () => never): Uint8Array {
  switch (algo) {
    case "crc32": {
      const c = crc32(data);
      return new Uint8Array([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff]);
    }
    case "md5":
      return md5(data);
    case "sha1":
      return sha1(data);
    case "sha256":
      return sha256(data);
    case "sha384":
      return sha384(data);
    case "sha512":
      return sha512(data);
    default:
      return unknown();
  }
}
