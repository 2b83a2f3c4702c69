import { resolve } from "node:path";
import { XEN_ELF_IMAGE_FORMAT } from "@handoff/xen";
import { FormatError, HandoffError, MemoryMap, alignUp, hex, type Segment, type Architecture, type Image, type ImageFormat, type LinuxBootBuilder, type PageTableFormat, type UnwrappedImage, type ImageInput, imageArchitectureMismatch, imageFromUnwrapped, resolveImageArchitecture, unwrapImage } from "@handoff/core";
import { decodeListEntry, planLoad, rawImageFormat, type LoadPlan } from "@handoff/core/kexec";
import { pageTableReport } from "@handoff/core/paging";
import { existsSync } from "node:fs";
import { pictureOfPlan, renderMemoryMapSvg } from "@handoff/core/svg";
import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { checkCmdline } from "../cmdline-limit.js";
import { digestReport, renderDigestReport } from "../digest-report.js";
import { DEFAULT_BOOT_FILE_LIMITS, DigestWorker, inflateAhead, postLargestFirst, installNodeCodecs, readFileBounded, regularFileSize, writeFileAtomic } from "@handoff/node";
import { parseAddress, parseSize } from "../numbers.js";
import { table, toJson } from "../output.js";
import { planDevicetree } from "./plan-devicetree.js";
import { linuxBuilderOf } from "../container.js";
import { PAYLOAD_SUFFIX } from "./kernel-payload.js";

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
  /** `--dtb FILE`: the devicetree an Arm Linux boot hands over (default: the container's). */
  readonly dtb?: string;
  /** The arch's Linux boot builder: places the DTB (and so the kernel and initrd) as `build` does. */
  readonly linuxBuilder?: LinuxBootBuilder;
  /** `--no-verify`: the stub would not check the segments' SHA-256 (the segments are the same). */
  readonly noVerify?: boolean;
  readonly cwd: string;
  /** The kernel file, already read (by `planCommand`, to inflate a bzImage payload ahead); default: read here. */
  readonly kernelFile?: ImageInput;
}

function pageTableFormat(options: PlanOptions): PageTableFormat | undefined {
  const want = options.pageTables ?? "none";
  if (want === "none") return undefined;
  const formats = options.arch.pageTableFormats;
  const format = want === "default" ? formats[0] : formats.find((f) => f.id === want);
  if (!format) throw new PlanOptionError("page-tables", `'${want}' is not a page-table format of ${options.arch.id} (have: none, default, ${formats.map((f) => f.id).join(", ")})`);
  return format;
}


/** Load the kernel through its containers and the format that recognises it. */
export function loadKernel(options: PlanOptions): Image {
  return loadKernelFromContainer(options).image;
}

/** `bzImage#payload`: the vmlinux inside a bzImage (when no file is literally called that). */
function withPayloadSuffix(options: PlanOptions): PlanOptions {
  if (!options.kernel.endsWith(PAYLOAD_SUFFIX) || existsSync(resolve(options.cwd, options.kernel))) return options;
  return { ...options, kernel: options.kernel.slice(0, -PAYLOAD_SUFFIX.length), kernelFormat: "bzImage-payload" };
}

function readKernel(path: string): ImageInput {
  return readFileBounded(path, { role: "kernel", maxBytes: DEFAULT_BOOT_FILE_LIMITS.kernel });
}

/** {@link loadKernel}, keeping what the containers carried (a UKI's DTB and command line). */
function loadKernelFromContainer(options: PlanOptions): { image: Image; unwrapped: UnwrappedImage; file: ImageInput } {
  options = withPayloadSuffix(options);
  const path = resolve(options.cwd, options.kernel);
  // A kernel in a container (Image.gz, zboot, UKI, uImage, FIT) is planned from what is inside.
  const original = options.kernelFile ?? readKernel(path);
  installNodeCodecs(); // native decoders where installed, also for a bzImage payload the format inflates
  const unwrapped = unwrapImage(original);
  const input = unwrapped.input;
  // Core's ELF (Xen's notes decoded, as for `handoff inspect`) first, then the arch's own formats (the order `handoff inspect` uses).
  const formats: readonly ImageFormat[] = [XEN_ELF_IMAGE_FORMAT, ...options.arch.imageFormats];
  let format: ImageFormat | undefined;
  if (options.kernelFormat === "raw") {
    if (options.loadAddr === undefined) throw new PlanOptionError("kernel-format", "raw needs --load-addr ADDR");
    format = rawImageFormat({
      loadAddress: parseAddress(options.loadAddr, "--load-addr"),
      ...(options.entry !== undefined ? { entry: parseAddress(options.entry, "--entry") } : {}),
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
  const parsed = imageFromUnwrapped(format.parse(input), unwrapped, original);
  const image = resolveImageArchitecture(parsed, [options.arch], unwrapped.layers.map((l) => l.machine));
  const mismatch = imageArchitectureMismatch(image, options.arch);
  if (mismatch !== undefined) throw new FormatError(path, image.format, "arch", undefined, mismatch);
  return { image, unwrapped, file: original };
}

/** Build the plan the `plan` command prints. */
export function makePlan(options: PlanOptions): LoadPlan {
  return makePlanWithMap(options).plan;
}

/** The plan, the memory map it was placed in (the `--svg` picture draws both) and the kernel file as read. */
export function makePlanWithMap(options: PlanOptions, known?: (segments: readonly Segment[]) => void): { plan: LoadPlan; memoryMap: MemoryMap; kernelFile: ImageInput } {
  if (options.memory !== undefined && options.memmap !== undefined) throw new UsageError("plan: give --memory or --memmap, not both", "plan");
  let memoryMap: MemoryMap;
  if (options.memmap !== undefined) {
    const path = resolve(options.cwd, options.memmap);
    memoryMap = MemoryMap.fromJson(new TextDecoder().decode(readFileBounded(path, { role: "memory map", maxBytes: 16 << 20 }).bytes), path);
  } else {
    const layout = options.arch.defaultMachine;
    if (layout === undefined) throw new PlanOptionError("memory", `${options.arch.id} has no default machine layout; use --memmap FILE`);
    memoryMap = MemoryMap.fromMachine(parseSize(options.memory ?? "512M", "--memory"), layout);
  }
  const { image, unwrapped, file: kernelFile } = loadKernelFromContainer(options);
  checkCmdline(options.arch.id, image, options.cmdline);
  let initrd: { path: string; size: number } | undefined;
  if (options.initrd !== undefined) {
    const path = resolve(options.cwd, options.initrd);
    initrd = { path, size: regularFileSize(path, { role: "initrd", maxBytes: DEFAULT_BOOT_FILE_LIMITS.initrd }) };
  }
  known?.(likelySegments(image, initrd, options.arch.pageSize));
  const protocol = planDevicetree({
    arch: options.arch.id,
    builder: options.linuxBuilder,
    dtbPath: options.dtb,
    carried: unwrapped.dtb,
    kernel: unwrapped.input.bytes,
    kernelPath: resolve(options.cwd, options.kernel),
    cmdline: options.cmdline ?? unwrapped.cmdline,
    initrdSize: initrd?.size,
    memory: parseSize(options.memory ?? "512M", "--memory"),
    cwd: options.cwd,
  });
  const plan = planLoad({
    arch: options.arch,
    image,
    memoryMap,
    ...(initrd ? { initrd } : {}),
    ...(options.cmdline !== undefined ? { cmdline: options.cmdline } : {}),
    useZero: options.useZero === true,
    pageTables: pageTableFormat(options),
    // With a DTB, the kernel, DTB and initrd go where the arch's Linux boot (`build`) puts them.
    ...(protocol ? { placedSegments: protocol.placedSegments, imageBase: protocol.imageBase, initrdAt: protocol.initrdAt } : {}),
    // For a position-independent image (arm64 Image, zImage), --load-addr is its base.
    ...(options.kernelFormat !== "raw" && options.loadAddr !== undefined ? { imageBase: parseAddress(options.loadAddr, "--load-addr") } : {}),
  });
  return { plan, memoryMap, kernelFile };
}

/**
 * The kernel's and initrd's segments as the plan will most likely hold them
 * (memsz rounded up to pages, as `planLoad` keeps them), known before anything
 * is placed: what `plan --digest` has hashed early. A guess that misses costs
 * only the early hashing; digests are matched on the exact bytes.
 */
function likelySegments(image: Image, initrd: { path: string; size: number } | undefined, pageSize: bigint): Segment[] {
  const kernel = image.segments.map((s) => ({ ...s, memsz: alignUp(s.memsz, pageSize) }));
  if (initrd === undefined) return kernel;
  const size = BigInt(initrd.size);
  return [...kernel, { data: { kind: "file", path: initrd.path, offset: 0, length: initrd.size }, bufsz: size, mem: 0n, memsz: alignUp(size, pageSize), role: "initrd" }];
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

/**
 * What the hand-off stub checks before it enters, as `build`, `boot` and
 * `kexec load` plan it: each segment's SHA-256 over its memsz bytes (the
 * digests `--digest sha256` prints), or nothing with `--no-verify`.
 */
export function segmentCheckSummary(plan: LoadPlan, noVerify: boolean): { algorithm: "sha256"; segments: number } | null {
  return noVerify ? null : { algorithm: "sha256", segments: plan.segments.length };
}

/**
 * A bzImage's payload planned as the kernel: read the file now and inflate the
 * payload on two cores (@handoff/node's inflateAhead); the synchronous parse
 * takes the result. Other kernels are read where they are planned.
 */
async function withPayloadInflatedAhead(options: PlanOptions): Promise<PlanOptions> {
  const request = withPayloadSuffix(options);
  const format = request.kernelFormat === undefined ? undefined : request.arch.imageFormats.find((f) => f.id === request.kernelFormat && f.compressedStreams);
  if (format === undefined) return options;
  const kernelFile = readKernel(resolve(request.cwd, request.kernel));
  installNodeCodecs();
  await inflateAhead(kernelFile, format);
  return { ...options, kernelFile };
}

/**
 * `handoff plan`. With `--digest`, segments are hashed on two threads: pass
 * the digest thread when it was started earlier (the CLI starts it before
 * loading this module); else one is started here, and closed either way.
 */
export async function planCommand(options: PlanOptions, json: boolean, digestThread?: DigestWorker): Promise<string> {
  const worker = options.digest === undefined ? undefined : (digestThread ?? DigestWorker.start());
  try {
    return await planAndReport(options, json, worker);
  } finally {
    if (worker !== digestThread) await worker?.close();
  }
}

async function planAndReport(options: PlanOptions, json: boolean, worker: DigestWorker | undefined): Promise<string> {
  // The kernel and initrd go to the digest thread as soon as they are known, largest first: hashed while the plan is made.
  const early = (segments: readonly Segment[]) => void postLargestFirst(worker!, options.digest!, segments);
  const { plan, memoryMap, kernelFile } = makePlanWithMap(await withPayloadInflatedAhead(options), worker ? early : undefined);
  if (options.svg !== undefined) await writeFileAtomic(resolve(options.cwd, options.svg), renderMemoryMapSvg(pictureOfPlan(plan, memoryMap)), { role: "SVG picture" });
  // The kernel file is already in memory: its segments are hashed from there, not read a second time.
  const inMemory = new Map([[kernelFile.path, kernelFile.bytes]]);
  const digests = options.digest === undefined ? undefined : await digestReport(plan.segments, options.digest, { inMemory, ...(worker ? { worker } : {}) });
  const check = segmentCheckSummary(plan, options.noVerify === true);
  if (json) return toJson({ ...planToObject(plan), segmentCheck: check, ...(digests ? { digests } : {}) });
  const tables = plan.pageTables?.build;
  const r = plan.relocation;
  const first = r.entries.slice(0, 3).map((e) => decodeListEntry(e, r.encoding.pageSize)).map((d) => `${d.kind ?? "INVALID"} ${hex(d.address)}`);
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
    check ? `segment check: the stub verifies the SHA-256 of all ${check.segments} segments before it enters (--no-verify leaves it out)` : "segment check: none (--no-verify): the stub enters without hashing the segments",
    ...(missingDevicetree(options, plan) ? [`devicetree: none planned (no --dtb, and the image carries none); ${plan.arch} Linux is entered with one, so this plan is not the whole hand-off (kexec load takes the running machine's)`] : []),
    ...(digests ? ["", renderDigestReport(digests, false)] : []),
  ].join("\n");
}

/** Whether the arch's Linux boot hands over a devicetree and this plan places none (Arm without `--dtb`). */
function missingDevicetree(options: PlanOptions, plan: LoadPlan): boolean {
  const builder = options.linuxBuilder;
  const protocol = builder?.protocols[0];
  return builder !== undefined && protocol !== undefined && builder.needsMachineDtb(protocol) && !plan.segments.some((s) => s.role === "dtb");
}

/** `handoff plan` */
export const command = defineCommand({
  options: {
    arch: { type: "string", value: "A", required: true, help: "the architecture (see 'handoff archs')" },
    kernel: { type: "string", value: "FILE", required: true, help: "the kernel image (ELF, bzImage, arm64 Image, zImage, ...)" },
    "kernel-format": { type: "string", value: "ID", help: "force a format; 'raw' loads a flat binary at --load-addr" },
    "load-addr": { type: "string", value: "ADDR", help: "raw: where the binary goes; relocatable images: their base" },
    entry: { type: "string", value: "ADDR", help: "raw: the entry point (default: --load-addr)" },
    initrd: { type: "string", value: "FILE", help: "an initrd, streamed (never read whole)" },
    cmdline: { type: "string", value: "TEXT", help: "the kernel command line (checked against the kernel's limit)" },
    memory: { type: "string", value: "SIZE", help: "RAM of the arch's default machine, e.g. 512M, 6G (default 512M)" },
    memmap: { type: "string", value: "FILE", help: "a memory-map JSON instead of --memory" },
    "use-zero": { type: "boolean", help: "use ZERO entries for zero-filled pages (Xen)" },
    "page-tables": { type: "string", value: "none|default|FORMAT", help: "hand-off page tables over exactly the segments (default none)" },
    digest: { type: "string", value: "ALG", help: "per-segment digest, e.g. sha256" },
    svg: { type: "string", value: "FILE", help: "also draw the physical memory map into FILE" },
    dtb: { type: "string", value: "FILE", help: "arm Linux: the devicetree handed over, placed with /chosen and /memory set as `build` does (/memory = --memory, default 512M; default DTB: a UKI's .dtb)" },
    "no-verify": { type: "boolean", help: "the stub would not check the segments' SHA-256 before it enters (the segments are the same)" },
    protocol: { type: "string", value: "kexec|pvh", help: "kexec: segments and relocation (default); pvh: the x86 PVH boot and the hvm_start_info handoff builds for it" },
  },
  async run({ values }, context) {
    const loaded = await context.architectures(values.arch);
    const protocol = values.protocol ?? "kexec";
    if (protocol === "pvh") {
      // Loaded only here: the PVH plan goes through the Linux-boot command, which brings QEMU's machine code along.
      const { PVH_PLAN_REFUSES, planPvhCommand } = await import("./plan-pvh.js");
      const refused = PVH_PLAN_REFUSES.filter((o) => values[o] !== undefined && values[o] !== false);
      if (refused.length) throw new UsageError(`plan: --protocol pvh plans for QEMU -M pc of --memory SIZE; --${refused[0]} does not apply`, "plan");
      return planPvhCommand(loaded, { arch: values.arch, kernel: values.kernel, initrd: values.initrd, cmdline: values.cmdline, memory: values.memory, noVerify: values["no-verify"] }, context.cwd, values.json);
    }
    if (protocol !== "kexec") throw new UsageError(`plan: --protocol is kexec or pvh, not '${protocol}'`, "plan");
    const options: PlanOptions = {
      arch: loaded.registry.get(values.arch),
      kernel: values.kernel,
      kernelFormat: values["kernel-format"],
      loadAddr: values["load-addr"],
      entry: values.entry,
      initrd: values.initrd,
      cmdline: values.cmdline,
      memory: values.memory,
      memmap: values.memmap,
      useZero: values["use-zero"],
      pageTables: values["page-tables"],
      digest: values.digest,
      svg: values.svg,
      dtb: values.dtb,
      linuxBuilder: linuxBuilderOf(loaded, values.arch),
      noVerify: values["no-verify"],
      cwd: context.cwd,
    };
    return planCommand(options, values.json, context.digestThread);
  },
});
