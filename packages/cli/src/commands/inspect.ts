import { XEN_ELF_IMAGE_FORMAT, xenElfImageFormat } from "@handoff/xen";
import { FormatError, describeMachineTag, hex, type Image, type ImageFormat, type ImageInput, type MachineIdentity, type Segment, openImage } from "@handoff/core";
import { existsSync } from "node:fs";
import { pictureOfImage, renderMemoryMapSvg } from "@handoff/core/svg";
import type { LoadedArchitectures } from "../container.js";
import { DEFAULT_BOOT_FILE_LIMITS, inflateAhead, installNodeCodecs, readFileBounded, writeFileAtomic } from "@handoff/node";
import { inspectVmcore, looksLikeVmcore } from "./inspect-vmcore.js";
import { defineCommand } from "../cli/command.js";
import { parseAddress } from "../numbers.js";
import { resolve } from "node:path";
import { indent, table, toJson } from "../output.js";
import { pvhNotes, renderPvhNotes } from "./pvh-notes.js";

export interface InspectOptions {
  readonly json: boolean;
  /** Subtracted from ELF p_paddr (kernels whose p_paddr is a link address). */
  readonly paddrOffset?: bigint;
  /** Also draw the image's segments (an ELF's PT_LOADs) into this SVG file. */
  readonly svg?: string;
  /** Inspect the image a container format holds by name (`--payload`: a bzImage's inflated vmlinux). */
  readonly payload?: boolean;
}

/**
 * Every image format to try, in order: core's ELF (with Xen's notes decoded) first, then each installed
 * architecture's formats (bzImage, arm64 Image, zImage...), each once.
 */
export function imageFormatsOf(loaded: LoadedArchitectures, options: Pick<InspectOptions, "paddrOffset"> = {}): ImageFormat[] {
  const elf = options.paddrOffset === undefined ? XEN_ELF_IMAGE_FORMAT : xenElfImageFormat({ paddrOffset: options.paddrOffset });
  const out: ImageFormat[] = [elf];
  const ids = new Set([elf.id]);
  for (const arch of loaded.registry.all()) {
    for (const format of arch.imageFormats) {
      if (ids.has(format.id)) continue; // shared formats (bzImage for both x86 archs) appear once
      ids.add(format.id);
      out.push(format);
    }
  }
  return out;
}

/**
 * Parse `input`, through any container it is in (Image.gz, zboot, UKI, uImage, FIT), with the first format whose
 * probe accepts it; its arch is the one its format names or the installed architecture that claims its machine.
 */
export function identifyImage(input: ImageInput, formats: readonly ImageFormat[], architectures: readonly MachineIdentity[] = []): { image: Image; format: ImageFormat } {
  const { image, format } = openImage(input, formats, { architectures });
  return { image, format };
}

/** `handoff inspect FILE`: what the image is. */
export async function inspectCommand(path: string, loaded: LoadedArchitectures, options: InspectOptions): Promise<string> {
  if (path.endsWith("#payload") && !existsSync(path)) {
    path = path.slice(0, -"#payload".length);
    options = { ...options, payload: true };
  }
  if (!options.payload && options.svg === undefined && looksLikeVmcore(path)) return inspectVmcore(path, options.json, loaded.registry.all());
  const input = readFileBounded(path, { role: "image", maxBytes: DEFAULT_BOOT_FILE_LIMITS.kernel });
  const formats = imageFormatsOf(loaded, options);
  installNodeCodecs();
  let image: Image;
  let format: ImageFormat;
  if (options.payload) {
    const payloadFormat = formats.find((f) => f.id === "bzImage-payload");
    if (!payloadFormat) throw new FormatError(path, "image", "payload", undefined, "--payload needs an installed x86 architecture (bzImage payloads)");
    await inflateAhead(input, payloadFormat); // on two cores; the parse below takes the result
    ({ image, format } = openImage(input, formats, { format: payloadFormat, architectures: loaded.registry.all() }));
  } else {
    ({ image, format } = identifyImage(input, formats, loaded.registry.all()));
  }
  if (options.svg !== undefined) await writeFileAtomic(options.svg, renderMemoryMapSvg(pictureOfImage(image)), { role: "SVG picture" });
  return options.json ? toJson(describeImage(image, format)) : renderImage(image, format);
}

/** The JSON shape of `inspect --json`. */
export function describeImage(image: Image, format: ImageFormat) {
  return {
    file: image.source.path,
    size: image.source.size,
    format: image.format,
    formatId: format.id,
    arch: image.arch ?? null,
    machine: image.machine === undefined ? null : describeMachineTag(image.machine),
    entry: { phys: image.entry.phys, virt: image.entry.virt ?? null },
    segments: image.segments.map(describeSegment),
    pvh: pvhNotes(image.metadata as Record<string, unknown>) ?? null,
    metadata: plain(image.metadata),
  };
}

function describeSegment(s: Segment) {
  return {
    name: s.name ?? null,
    role: s.role,
    mem: s.mem,
    memsz: s.memsz,
    bufsz: s.bufsz,
    vaddr: s.vaddr ?? s.mem,
    data:
      s.data.kind === "file"
        ? { kind: "file", offset: s.data.offset, length: s.data.length }
        : s.data.kind === "bytes"
          ? { kind: "bytes", length: s.data.bytes.length }
          : { kind: "zero" },
  };
}

/** The arch an installed architecture gives the image; else the raw machine its header names (no plugin claims it). */
function archLine(image: Image): string {
  if (image.arch !== undefined) return image.arch;
  return image.machine === undefined ? "unknown" : `unknown: ${describeMachineTag(image.machine)} (no installed architecture claims it)`;
}

/** Metadata made JSON-friendly: byte arrays as hex strings (bigints are handled by toJson). */
function plain(value: unknown, depth = 0): unknown {
  if (depth > 16) return "…";
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v, depth + 1)]));
  }
  return value;
}

function renderImage(image: Image, format: ImageFormat): string {
  const lines = [
    `file      ${image.source.path} (${image.source.size} bytes)`,
    `format    ${image.format} (${format.description})`,
    `arch      ${archLine(image)}`,
    `entry     phys ${hex(image.entry.phys)}${image.entry.virt !== undefined ? `  virt ${hex(image.entry.virt)}` : ""}`,
    "",
    "segments",
    indent(
      table(
        ["name", "role", "mem", "memsz", "bufsz", "file offset", "vaddr"],
        image.segments.map((s) => [
          s.name ?? "-",
          s.role,
          hex(s.mem),
          hex(s.memsz),
          hex(s.bufsz),
          s.data.kind === "file" ? hex(s.data.offset) : s.data.kind,
          hex(s.vaddr ?? s.mem),
        ]),
      ),
    ),
  ];
  const { notes, ...fields } = image.metadata as Record<string, unknown>;
  const pvh = pvhNotes(image.metadata as Record<string, unknown>);
  if (pvh) lines.push("", ...renderPvhNotes(pvh));
  if (Array.isArray(notes) && notes.length > 0) {
    lines.push("", "notes");
    const shown = notes.slice(0, 64) as Record<string, unknown>[];
    lines.push(indent(table(["owner", "type", "descsz", "offset", "where"], shown.map((n) => [String(n.name), `${n.type}${n.typeName ? ` (${n.typeName})` : ""}`, String(n.descsz), hex(Number(n.offset)), String(n.source)]))));
    if (notes.length > shown.length) lines.push(`  ... and ${notes.length - shown.length} more`);
  }
  lines.push("", "header fields");
  const tables: [string, Record<string, unknown>[]][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (isTableOfScalars(value)) tables.push([key, value]);
    else lines.push(`  ${key.padEnd(16)} ${render(value)}`);
  }
  for (const [key, rows] of tables) {
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    lines.push("", key, indent(table(columns, rows.map((r) => columns.map((c) => render(r[c]))))));
  }
  return lines.join("\n");
}

/** A non-empty array of objects whose values are all scalars: shown as a table. */
function isTableOfScalars(value: unknown): value is Record<string, unknown>[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.length <= 256 &&
    value.every((row) => row && typeof row === "object" && !Array.isArray(row) && Object.values(row).every((v) => v === null || typeof v !== "object"))
  );
}

function render(value: unknown): string {
  if (typeof value === "bigint") return hex(value);
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  const text = toJson(plain(value)).replace(/\s*\n\s*/g, " ");
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** `handoff inspect FILE` */
export const command = defineCommand({
  positionals: { synopsis: "FILE", min: 1, max: 1 },
  options: {
    arch: { type: "string", value: "A", help: "try only this architecture's formats (default: every installed one)" },
    "paddr-offset": { type: "string", value: "ADDR", help: "subtract ADDR from ELF p_paddr (kernels whose p_paddr is a link address)" },
    svg: { type: "string", value: "FILE", help: "also draw the image's segments into FILE" },
    payload: { type: "boolean", help: "the vmlinux ELF inside a bzImage (payload_offset/length, inflated); also FILE#payload" },
  },
  notes: [
    "The arch is the installed architecture that claims the image (its own format, an ELF's e_machine, or a container's uImage ih_arch, FIT arch or PE Machine); when no installed plugin claims it, the raw value is shown instead, e.g. 'unknown: e_machine 243'.",
  ],
  async run({ values, positionals }, context) {
    const paddrOffset = values["paddr-offset"] === undefined ? undefined : parseAddress(values["paddr-offset"], "--paddr-offset");
    const loaded = await context.architectures(values.arch);
    if (values.arch !== undefined) loaded.registry.get(values.arch);
    return inspectCommand(resolve(context.cwd, positionals[0]!), loaded, { json: values.json, payload: values.payload === true, ...(values.svg === undefined ? {} : { svg: resolve(context.cwd, values.svg) }), ...(paddrOffset === undefined ? {} : { paddrOffset }) });
  },
});
