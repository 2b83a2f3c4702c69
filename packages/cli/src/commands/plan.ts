import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ELF_IMAGE_FORMAT } from "@handoff/core/elf";
import { FormatError, HandoffError, MemoryMap, U64_LIMIT, hex, type Architecture, type Image, type ImageFormat, type PageTableFormat } from "@handoff/core";
import { entryKind, planLoad, rawImageFormat, type LoadPlan } from "@handoff/core/kexec";
import { pageTableReport } from "@handoff/core/paging";
import { pictureOfPlan, renderMemoryMapSvg } from "@handoff/core/svg";
import { writeSvgFile } from "../svg-output.js";
import { digestReport, renderDigestReport } from "../digest-report.js";
import { table, toJson } from "../output.js";

/** A bad option value (size, address, missing file...): one line at the CLI. */
export class PlanOptionError extends HandoffError {
  readonly code = "E_OPTION";
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`--${option}: ${reason}`);
  }
}

const SIZE_SUFFIX: Record<string, bigint> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

/**
 * A memory size: decimal with an optional K/M/G/T suffix (binary units), or
 * hex `0x...` without suffix. Anything else (`512MB`, `1.5G`, `-1`, `0`) is refused.
 */
export function parseMemorySize(text: string, option = "memory"): bigint {
  const m = /^(?:0x([0-9a-fA-F]+)|([0-9]+)([KMGT])?)$/.exec(text);
  if (!m) throw new PlanOptionError(option, `'${text}' is not a size (e.g. 512M, 1G, 0x20000000)`);
  const value = m[1] !== undefined ? BigInt(`0x${m[1]}`) : BigInt(m[2]!) * (m[3] ? SIZE_SUFFIX[m[3]]! : 1n);
  if (value === 0n) throw new PlanOptionError(option, "size must be positive");
  if (value >= U64_LIMIT) throw new PlanOptionError(option, `'${text}' does not fit 64 bits`);
  return value;
}

/** An address: `0x...` hex or decimal, below 2^64. */
export function parseAddress(text: string, option: string): bigint {
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) throw new PlanOptionError(option, `'${text}' is not an address (hex 0x... or decimal)`);
  const v = BigInt(text);
  if (v >= U64_LIMIT) throw new PlanOptionError(option, `'${text}' does not fit 64 bits`);
  return v;
}

export interface PlanOptions {
  readonly arch: Architecture;
  readonly kernel: string;
  readonly kernelFormat?: string;
  readonly loadAddr?: string;
  readonly entry?: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  readonly memory?: string;
  readonly memmap?: string;
  readonly useZero?: boolean;
  /** `none` (default), `default` (the arch's first format) or a format id. */
  readonly pageTables?: string;
  /** Per-segment digest algorithm (e.g. `sha256`), streamed over each segment's memory image. */
  readonly digest?: string;
  /** Also draw the physical memory map into this SVG file. */
  readonly svg?: string;
  readonly cwd: string;
}

function pageTableFormat(options: PlanOptions): PageTableFormat | undefined {
  const want = options.pageTables ?? "none";
  if (want === "none") return undefined;
  const formats = options.arch.pageTableFormats;
  const format = want === "default" ? formats[0] : formats.find((f) => f.id === want);
  if (!format) throw new PlanOptionError("page-tables", `'${want}' is not a page-table format of ${options.arch.id} (have: none, default, ${formats.map((f) => f.id).join(", ")})`);
  return format;
}

function fileSize(path: string, option: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new PlanOptionError(option, `${path} is not a regular file`);
    return st.size;
  } catch (e) {
    if (e instanceof HandoffError) throw e;
    throw new PlanOptionError(option, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Load the kernel through the format that recognises it (or the one named). */
export function loadKernel(options: PlanOptions): Image {
  const path = resolve(options.cwd, options.kernel);
  fileSize(path, "kernel");
  const fd = openSync(path, "r");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  const input = { path, bytes };
  // Core's ELF first, then the arch's own formats (the order `handoff inspect` uses).
  const formats: readonly ImageFormat[] = [ELF_IMAGE_FORMAT, ...options.arch.imageFormats];
  let format: ImageFormat | undefined;
  if (options.kernelFormat === "raw") {
    if (options.loadAddr === undefined) throw new PlanOptionError("kernel-format", "raw needs --load-addr ADDR");
    format = rawImageFormat({
      loadAddress: parseAddress(options.loadAddr, "load-addr"),
      ...(options.entry !== undefined ? { entry: parseAddress(options.entry, "entry") } : {}),
      arch: options.arch.id,
    });
  } else if (options.kernelFormat !== undefined) {
    format = formats.find((f) => f.id === options.kernelFormat);
    if (format === undefined) {
      throw new PlanOptionError("kernel-format", `'${options.kernelFormat}' is not a format of ${options.arch.id} (have: ${["raw", ...formats.map((f) => f.id)].join(", ")})`);
    }
  } else {
    format = formats.find((f) => f.probe(input));
    if (format === undefined) {
      const known = formats.map((f) => f.id);
      throw new FormatError(path, "kernel image", "header", 0, `no ${options.arch.id} image format recognises it (tried: ${known.length ? known.join(", ") : "none installed"}); for a flat binary use --kernel-format raw --load-addr ADDR`);
    }
  }
  const image = format.parse(input);
  if (image.arch !== undefined && image.arch !== options.arch.id) {
    throw new FormatError(path, image.format, "arch", undefined, `is a ${image.arch} image, not ${options.arch.id}`);
  }
  return image;
}

/** Build the plan the `plan` command prints. */
export function makePlan(options: PlanOptions): LoadPlan {
  return makePlanWithMap(options).plan;
}

/** The plan and the memory map it was placed in (the `--svg` picture draws both). */
export function makePlanWithMap(options: PlanOptions): { plan: LoadPlan; memoryMap: MemoryMap } {
  if (options.memory !== undefined && options.memmap !== undefined) throw new PlanOptionError("memmap", "give --memory or --memmap, not both");
  let memoryMap: MemoryMap;
  if (options.memmap !== undefined) {
    const path = resolve(options.cwd, options.memmap);
    fileSize(path, "memmap");
    memoryMap = MemoryMap.fromJson(readFileSync(path, "utf8"), path);
  } else {
    const layout = options.arch.defaultMachine;
    if (layout === undefined) throw new PlanOptionError("memory", `${options.arch.id} has no default machine layout; use --memmap FILE`);
    memoryMap = MemoryMap.fromMachine(parseMemorySize(options.memory ?? "512M"), layout);
  }
  const image = loadKernel(options);
  let initrd: { path: string; size: number } | undefined;
  if (options.initrd !== undefined) {
    const path = resolve(options.cwd, options.initrd);
    initrd = { path, size: fileSize(path, "initrd") };
  }
  const plan = planLoad({
    arch: options.arch,
    image,
    memoryMap,
    ...(initrd ? { initrd } : {}),
    ...(options.cmdline !== undefined ? { cmdline: options.cmdline } : {}),
    useZero: options.useZero === true,
    pageTables: pageTableFormat(options),
    // For a position-independent image (arm64 Image, zImage), --load-addr is its base.
    ...(options.kernelFormat !== "raw" && options.loadAddr !== undefined ? { imageBase: parseAddress(options.loadAddr, "load-addr") } : {}),
  });
  return { plan, memoryMap };
}

/** The plan as a JSON-friendly object (bigints become "0x.." in `toJson`). */
export function planToObject(plan: LoadPlan) {
  const r = plan.relocation;
  return {
    arch: plan.arch,
    imageFormat: plan.imageFormat,
    entry: plan.entry,
    imageBase: plan.imageBase,
    kexecFlags: plan.kexecFlags,
    segments: plan.segments.map((s) => ({
      mem: s.mem,
      memsz: s.memsz,
      bufsz: s.bufsz,
      role: s.role,
      ...(s.name !== undefined ? { name: s.name } : {}),
      source: s.source,
    })),
    relocation: {
      head: r.head,
      wordBytes: r.encoding.wordBytes,
      endianness: r.encoding.endianness,
      listPages: r.listPages.map((p) => p.address),
      entries: r.entries.length,
      counts: r.counts,
      swapPages: r.swaps.length,
      zeroSource: r.zeroSource ?? null,
      stagingPages: r.staging.reduce((n, pages) => n + pages.filter((p) => p !== undefined).length, 0),
    },
    pageTables: plan.pageTables ? pageTableReport(plan.pageTables.build) : null,
  };
}

export async function planCommand(options: PlanOptions, json: boolean): Promise<string> {
  const { plan, memoryMap } = makePlanWithMap(options);
  if (options.svg !== undefined) writeSvgFile(resolve(options.cwd, options.svg), renderMemoryMapSvg(pictureOfPlan(plan, memoryMap)));
  const digests = options.digest === undefined ? undefined : await digestReport(plan.segments, options.digest);
  if (json) return toJson({ ...planToObject(plan), ...(digests ? { digests } : {}) });
  const tables = plan.pageTables?.build;
  const r = plan.relocation;
  const first = r.entries.slice(0, 3).map((e) => `${entryKind(e, r.encoding.pageSize)} ${hex(e & ~(r.encoding.pageSize - 1n))}`);
  return [
    `${plan.arch} ${plan.imageFormat} image, entry ${hex(plan.entry)}, kexec_load flags ${hex(plan.kexecFlags)}`,
    "",
    table(
      ["#", "mem", "memsz", "bufsz", "role", "source"],
      plan.segments.map((s, i) => [String(i), hex(s.mem), hex(s.memsz), hex(s.bufsz), s.role, s.source]),
    ),
    "",
    `relocation: ${r.listPages.length} list page(s) at ${hex(r.head)}.., ${r.entries.length} entries ` +
      `(${r.counts.destination} DESTINATION, ${r.counts.source} SOURCE, ${r.counts.zero} ZERO, ${r.counts.indirection} INDIRECTION, 1 DONE), ` +
      `${r.swaps.length} swap page(s), ${r.counts.inPlace} page(s) in place, ${r.encoding.wordBytes}-byte ${r.encoding.endianness}-endian words`,
    `first entries: ${first.join(", ")}`,
    ...(tables
      ? [`page tables: ${tables.format}, root ${hex(tables.root)}, ${tables.tablePages} table page(s) at ${hex(tables.segment.pa)}, ${tables.mappings.length} mapping(s)`]
      : []),
    ...(digests ? ["", renderDigestReport(digests, false)] : []),
  ].join("\n");
}
