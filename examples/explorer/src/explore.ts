/**
 * What the explorer page computes, without the page: the same core and arch
 * packages the CLI uses, on bytes the user dropped. No DOM and no `node:*` here,
 * so the page and a Node test run exactly this code.
 */
import { FormatError, HandoffError, LINUX_BOOT_BUILDER, MemoryMap, ValidationError, hex, imageArchitectureMismatch, resolveImageArchitecture, type Architecture, type ArchitecturePlugin, type HandoffArtefact, type Image, type ImageFormat, type LinuxBootBuilder } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { XEN_ELF_IMAGE_FORMAT as ELF_IMAGE_FORMAT } from "@handoff/xen";
import { planLoad, type LoadPlan } from "@handoff/core/kexec";
import { pictureOfArtefact, pictureOfPlan, renderMemoryMapSvg } from "@handoff/core/svg";
import type { DependencyContainer } from "tsyringe";

/** A file the user dropped: its name (no directory in a browser) and its bytes. */
export interface DroppedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The installed architectures as the page sees them. */
export interface Explorer {
  readonly registry: ArchitectureRegistry;
  readonly linuxBuilders: readonly LinuxBootBuilder[];
}

/** Register `plugins` into a child of `container` (nothing global changes), as the CLI does. */
export function makeExplorer(container: DependencyContainer, plugins: readonly ArchitecturePlugin[]): Explorer {
  const child = container.createChildContainer();
  for (const plugin of plugins) plugin.register(child);
  const linuxBuilders = child.isRegistered(LINUX_BOOT_BUILDER) ? child.resolveAll<LinuxBootBuilder>(LINUX_BOOT_BUILDER) : [];
  return { registry: ArchitectureRegistry.fromContainer(child), linuxBuilders };
}

/** What `handoff inspect` reports, as rows the page shows. */
export interface InspectView {
  readonly format: string;
  readonly formatDescription: string;
  readonly arch: string | undefined;
  readonly entry: string;
  readonly segments: readonly { readonly name: string; readonly role: string; readonly mem: string; readonly memsz: string; readonly bufsz: string }[];
  /** Header fields (`protocol`, `header.pref_address`...), values as the CLI prints them. */
  readonly fields: readonly (readonly [string, string])[];
}

/** One register of the hand-off state and why it holds its value. */
export interface RegisterRow {
  readonly name: string;
  readonly width: number;
  readonly value: string;
  /** The protocol clause, or "forced zero (undefined by the protocol)". */
  readonly provenance: string;
}

/** Everything the page shows for one request. Each part fails on its own: `error` is the CLI's one line. */
export interface Exploration {
  readonly inspect: { readonly view: InspectView; readonly image: Image } | { readonly error: string };
  /** The arch used for the plan and the hand-off (chosen, or the image's own). */
  readonly arch: string | undefined;
  readonly plan?: { readonly plan: LoadPlan; readonly svg: string; readonly summary: string } | { readonly error: string };
  readonly handoff?: { readonly artefact: HandoffArtefact; readonly registers: readonly RegisterRow[]; readonly svg: string } | { readonly error: string } | { readonly note: string };
}

/** What to explore. */
export interface ExploreRequest {
  readonly kernel: DroppedFile;
  readonly initrd?: DroppedFile;
  readonly dtb?: DroppedFile;
  /** An arch id, or undefined to use the image's own. */
  readonly arch?: string;
  /** A Linux boot protocol of the arch, or undefined for its default. */
  readonly protocol?: string;
  readonly cmdline?: string;
  /** RAM of the default machine as `plan --memory` takes it (`512M`, `1G`, `0x20000000`). Default 512M. */
  readonly memory?: string;
}

/** A user mistake in the page's own fields, worded as the CLI words the same option. */
export class ExplorerOptionError extends HandoffError {
  readonly code = "E_OPTION";
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`--${option}: ${reason}`);
  }
}

/** `plan --memory`'s grammar: decimal with a K/M/G/T suffix (binary units) or 0x-hex bytes, positive, below 2^64. */
export function memoryBytes(text: string): bigint {
  const m = /^(?:0x([0-9a-fA-F]+)|([0-9]+)([KMGT])?)$/.exec(text.trim());
  const shift = { K: 10n, M: 20n, G: 30n, T: 40n } as const;
  const value = !m ? -1n : m[1] !== undefined ? BigInt(`0x${m[1]}`) : BigInt(m[2]!) << (m[3] ? shift[m[3] as keyof typeof shift] : 0n);
  if (value <= 0n || value >= 1n << 64n) throw new ExplorerOptionError("memory", `'${text}' is not a size (e.g. 512M, 1G, 0x20000000)`);
  return value;
}

/** Largest file the page reads, as `handoff build --kernel/--initrd` (checked on the file's size, before reading). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Refuse a file larger than {@link MAX_FILE_BYTES} before any of it is read; the CLI's words. */
export function checkFileSize(name: string, what: string, size: number): void {
  if (size > MAX_FILE_BYTES) throw new ValidationError(name, `${what} of ${size} bytes exceeds ${MAX_FILE_BYTES}`);
}

/** The line the CLI prints for a HandoffError; anything else is an internal error, also one line. */
export function errorLine(error: unknown): string {
  if (error instanceof HandoffError) return `handoff: ${error.message}`;
  return `handoff: internal error: ${(error as Error)?.message ?? String(error)}`;
}

/** Core's ELF (Xen's notes decoded, for PVH entries) first, then each architecture's formats once (the order `inspect` uses). */
function formatsOf(archs: readonly Architecture[]): ImageFormat[] {
  const seen = new Set<string>([ELF_IMAGE_FORMAT.id]);
  const out: ImageFormat[] = [ELF_IMAGE_FORMAT];
  for (const arch of archs) for (const f of arch.imageFormats) if (!seen.has(f.id)) (seen.add(f.id), out.push(f));
  return out;
}

function identify(file: DroppedFile, formats: readonly ImageFormat[], architectures: readonly Architecture[]): Image {
  const input = { path: file.name, bytes: file.bytes };
  for (const format of formats) {
    let matches = false;
    try {
      matches = format.probe(input);
    } catch {
      matches = false; // a probe that throws does not match (as in the CLI)
    }
    // An ELF names its machine raw; the loaded architectures say which of them it is.
    if (matches) return resolveImageArchitecture(format.parse(input), architectures);
  }
  throw new FormatError(file.name, "image", "magic", 0, `not a recognised image format (tried: ${formats.map((f) => f.id).join(", ")})`);
}

function show(value: unknown): string | undefined {
  if (typeof value === "bigint") return hex(value);
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined; // tables and byte arrays stay out of the field list
}

/** `handoff inspect` on dropped bytes. */
export function inspect(explorer: Explorer, file: DroppedFile): { view: InspectView; image: Image } {
  const formats = formatsOf(explorer.registry.all());
  const image = identify(file, formats, explorer.registry.all());
  const format = formats.find((f) => f.id === image.format) ?? formats.find((f) => f.probe({ path: file.name, bytes: file.bytes }));
  const fields: [string, string][] = [];
  const add = (prefix: string, record: Record<string, unknown>, depth: number) => {
    for (const [key, value] of Object.entries(record)) {
      const text = show(value);
      if (text !== undefined) fields.push([prefix + key, text]);
      else if (Array.isArray(value) && value.every((v) => show(v) !== undefined)) fields.push([prefix + key, value.map(show).join(", ")]);
      // One level of nesting: the raw header (`header.pref_address`); deeper tables stay in `inspect --json`.
      else if (depth === 0 && value && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array)) add(`${key}.`, value as Record<string, unknown>, 1);
    }
  };
  add("", image.metadata, 0);
  return {
    image,
    view: {
      format: image.format,
      formatDescription: format?.description ?? image.format,
      arch: image.arch,
      entry: `phys ${hex(image.entry.phys)}${image.entry.virt !== undefined ? `  virt ${hex(image.entry.virt)}` : ""}`,
      segments: image.segments.map((s) => ({ name: s.name ?? "-", role: s.role, mem: hex(s.mem), memsz: hex(s.memsz), bufsz: hex(s.bufsz) })),
      fields,
    },
  };
}

/** `handoff plan` on dropped bytes: default machine, `--page-tables default`. */
export function plan(explorer: Explorer, arch: Architecture, request: ExploreRequest): { plan: LoadPlan; svg: string; summary: string } {
  const layout = arch.defaultMachine;
  if (layout === undefined) throw new FormatError(request.kernel.name, "plan", "arch", undefined, `${arch.id} has no default machine layout`);
  const memoryMap = MemoryMap.fromMachine(memoryBytes(request.memory ?? "512M"), layout);
  const image = identify(request.kernel, [ELF_IMAGE_FORMAT, ...arch.imageFormats], [arch]);
  const mismatch = imageArchitectureMismatch(image, arch);
  if (mismatch !== undefined) throw new FormatError(request.kernel.name, image.format, "arch", undefined, mismatch);
  const result = planLoad({
    arch,
    image,
    memoryMap,
    ...(request.initrd ? { initrd: { path: request.initrd.name, size: request.initrd.bytes.length } } : {}),
    ...(request.cmdline !== undefined ? { cmdline: request.cmdline } : {}),
    pageTables: arch.pageTableFormats[0],
  });
  const r = result.relocation;
  const summary =
    `${result.arch} ${result.imageFormat} image, entry ${hex(result.entry)}, kexec_load flags ${hex(result.kexecFlags)}; ` +
    `relocation: ${r.listPages.length} list page(s), ${r.entries.length} entries (${r.counts.destination} DESTINATION, ${r.counts.source} SOURCE, ${r.counts.zero} ZERO, ${r.counts.indirection} INDIRECTION, 1 DONE)`;
  return { plan: result, svg: renderMemoryMapSvg(pictureOfPlan(result, memoryMap)), summary };
}

/** `handoff build` for a Linux kernel: the stub's hand-off state, register by register. */
export function handoff(explorer: Explorer, arch: Architecture, request: ExploreRequest): { artefact: HandoffArtefact; registers: RegisterRow[]; svg: string } | { note: string } {
  const builder = explorer.linuxBuilders.find((b) => b.arch === arch.id);
  if (!builder) return { note: `${arch.id}: the installed architecture package cannot boot a Linux kernel` };
  const protocol = request.protocol ?? builder.protocols[0]!;
  if (!builder.protocols.includes(protocol)) throw new FormatError(request.kernel.name, "protocol", "protocol", undefined, `a Linux kernel boots on ${arch.id} through ${builder.protocols.join(" or ")}`);
  if (builder.needsMachineDtb(protocol) && !request.dtb) {
    return { note: `${arch.id} hands over the machine's devicetree: drop a DTB (QEMU: -machine ${builder.machine(protocol).machine ?? "virt"},dumpdtb=virt.dtb) to see the register state` };
  }
  const artefact = builder.build({
    protocol,
    kernel: request.kernel.bytes,
    kernelPath: request.kernel.name,
    ...(request.initrd ? { initrd: request.initrd.bytes } : {}),
    cmdline: request.cmdline ?? "",
    ...(request.dtb ? { machineDtb: request.dtb.bytes } : {}),
  });
  const json = artefact.state.toJSON();
  const registers = json.registers.map((r) => ({
    name: r.name,
    width: r.width,
    value: r.value,
    provenance: r.provenance.kind === "protocol" ? `${r.provenance.protocol}: ${r.provenance.clause}` : "forced zero (undefined by the protocol)",
  }));
  const machine = builder.machine(protocol);
  return { artefact, registers, svg: renderMemoryMapSvg(pictureOfArtefact(artefact, { start: machine.ramBase, size: machine.ramSize })) };
}

/** Inspect, plan and hand-off for one request; each part reports its own error line. */
export function explore(explorer: Explorer, request: ExploreRequest): Exploration {
  let inspected: Exploration["inspect"];
  try {
    inspected = inspect(explorer, request.kernel);
  } catch (e) {
    return { inspect: { error: errorLine(e) }, arch: request.arch };
  }
  const archId = request.arch ?? ("image" in inspected ? inspected.image.arch : undefined);
  if (archId === undefined) return { inspect: inspected, arch: undefined, plan: { error: "handoff: pick an architecture: the image does not say which it is" } };
  let arch: Architecture;
  try {
    arch = explorer.registry.get(archId);
  } catch (e) {
    return { inspect: inspected, arch: archId, plan: { error: errorLine(e) } };
  }
  let planned: Exploration["plan"];
  try {
    planned = plan(explorer, arch, request);
  } catch (e) {
    planned = { error: errorLine(e) };
  }
  let handedOff: Exploration["handoff"];
  try {
    handedOff = handoff(explorer, arch, request);
  } catch (e) {
    handedOff = { error: errorLine(e) };
  }
  return { inspect: inspected, arch: archId, plan: planned, handoff: handedOff };
}
