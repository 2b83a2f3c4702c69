import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { XEN_ELF_IMAGE_FORMAT, XEN_PVH_ENTRY_SOURCE } from "@handoff/xen";
import { ValidationError, namesMachine, unwrapImage, type Architecture, type HandoffArtefact, type ImageFormat, type ImageInput, type LinuxBootBuilder } from "@handoff/core";
import { dumpMachineDtb, type QemuArch } from "@handoff/qemu";
import { linuxBuilderOf, type LoadedArchitectures } from "../container.js";
import { checkCmdline } from "../cmdline-limit.js";
import { inflateAhead, installNodeCodecs, readFileBounded } from "@handoff/node";
import { MAX_DTB_BYTES } from "./plan-devicetree.js";
import { parseSize } from "../numbers.js";
import { PAYLOAD_SUFFIX } from "./kernel-payload.js";


/** Largest kernel or initrd `--kernel`/`--initrd` accepts for a Linux boot (checked before reading). */
export const MAX_LINUX_FILE_BYTES = 512 * 1024 * 1024;

export interface LinuxOptions {
  readonly arch: string;
  readonly protocol?: string;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  /** A devicetree to hand the kernel in place of a UKI's `.dtb` or QEMU's machine DTB. */
  readonly dtb?: string;
  /** `--memory SIZE`: RAM of the machine a Linux boot is planned for. */
  readonly memory?: string;
  readonly entryMode?: string;
  readonly probe: boolean;
  /** Leave the stub's segment check out. */
  readonly noVerify?: boolean;
}

function readBounded(path: string, what: string): Uint8Array {
  return readFileBounded(path, { role: what, maxBytes: MAX_LINUX_FILE_BYTES }).bytes;
}

/** `FILE#payload` (when no file is literally called that): the vmlinux inside a bzImage, booted through PVH. */
function kernelReference(kernel: string, cwd: string): { path: string; payload: boolean } {
  const path = resolve(cwd, kernel);
  if (kernel.endsWith(PAYLOAD_SUFFIX) && !existsSync(path)) return { path: path.slice(0, -PAYLOAD_SUFFIX.length), payload: true };
  return { path, payload: false };
}

/**
 * The format that makes `kernel` a Linux kernel for `arch`: one of the arch's
 * own (bzImage, Image, zImage), or an ELF with a Xen PVH entry note (a vmlinux).
 */
function kernelFormat(arch: Architecture, input: ImageInput, payload: boolean): ImageFormat | undefined {
  const format = arch.imageFormats.find((f) => f.probe(input));
  if (payload && format?.id !== "bzImage") throw new ValidationError(`${input.path}${PAYLOAD_SUFFIX}`, "only a bzImage has a payload to boot");
  if (format || !XEN_ELF_IMAGE_FORMAT.probe(input)) return format;
  const image = XEN_ELF_IMAGE_FORMAT.parse(input);
  const runs = image.machine !== undefined && namesMachine(arch, image.machine);
  return (image.metadata as { entrySource?: string }).entrySource === XEN_PVH_ENTRY_SOURCE && runs ? XEN_ELF_IMAGE_FORMAT : undefined;
}

/** Inflate a bzImage's payload on two cores before the PVH builder inflates it synchronously (it takes the result). */
async function inflatePayloadAhead(arch: Architecture, kernel: ImageInput): Promise<void> {
  const payloadFormat = arch.imageFormats.find((f) => f.id === "bzImage-payload");
  if (payloadFormat) await inflateAhead(kernel, payloadFormat);
}

function linuxBuilder(loaded: LoadedArchitectures, archId: string): LinuxBootBuilder {
  const builder = linuxBuilderOf(loaded, archId);
  if (!builder) throw new ValidationError(`--arch ${archId}`, "the installed architecture package cannot boot a Linux kernel");
  return builder;
}

/**
 * The artefact that boots a real Linux kernel, or undefined when the request is
 * a flat payload / probe. Linux mode: `--initrd` or `--cmdline` given, or the
 * kernel is one of the arch's image formats (bzImage, arm64 Image, zImage), a
 * PVH ELF, or `bzImage#payload` (the vmlinux inside, booted through `pvh`).
 */
export async function linuxArtefact(loaded: LoadedArchitectures, o: LinuxOptions, cwd: string): Promise<HandoffArtefact | undefined> {
  if (o.probe || !o.kernel) {
    if (o.initrd !== undefined || o.cmdline !== undefined || o.dtb !== undefined || o.memory !== undefined) throw new ValidationError("--initrd/--cmdline/--dtb/--memory", "need a Linux --kernel (not --probe)");
    return undefined;
  }
  const arch = loaded.registry.get(o.arch);
  const { path: kernelPath, payload } = kernelReference(o.kernel, cwd);
  // Image.gz, zboot, UKI, uImage, FIT: boot what is inside; a UKI's or FIT's initrd, cmdline and DTB apply unless given.
  installNodeCodecs();
  const unwrapped = unwrapImage({ path: kernelPath, bytes: readBounded(kernelPath, "kernel") });
  const kernel = unwrapped.input.bytes;
  const format = kernelFormat(arch, { path: kernelPath, bytes: kernel }, payload);
  if (payload) await inflatePayloadAhead(arch, { path: kernelPath, bytes: kernel });
  if (!format && !payload && o.initrd === undefined && o.cmdline === undefined && o.memory === undefined && unwrapped.layers.length === 0) return undefined;
  const builder = linuxBuilder(loaded, o.arch);
  if (!format) throw new ValidationError(kernelPath, `is not a kernel image ${o.arch} knows (${arch.imageFormats.map((f) => f.id).join(", ")}, or a PVH ELF)`);
  const cmdline = o.cmdline ?? unwrapped.cmdline;
  checkCmdline(o.arch, format.parse({ path: kernelPath, bytes: kernel }), cmdline);
  // An ELF (a vmlinux, or the one inside a bzImage) has only the PVH entry.
  const protocol = o.protocol ?? (payload || format === XEN_ELF_IMAGE_FORMAT ? "pvh" : builder.protocols[0]!);
  if (!builder.protocols.includes(protocol)) throw new ValidationError(`--protocol ${protocol}`, `a Linux kernel boots on ${o.arch} through ${builder.protocols.join(" or ")}`);
  if ((payload || format === XEN_ELF_IMAGE_FORMAT) && protocol !== "pvh") throw new ValidationError(`--protocol ${protocol}`, "an ELF kernel (a vmlinux) is booted through its PVH entry: use --protocol pvh");
  const initrd = o.initrd === undefined ? unwrapped.initrd : readBounded(resolve(cwd, o.initrd), "initrd");
  const memory = o.memory === undefined ? undefined : parseSize(o.memory, "--memory");
  const machineDtb = devicetree(builder, o, cwd, protocol, unwrapped.dtb, memory);
  return builder.build({ protocol, kernel, kernelPath, initrd, cmdline: cmdline ?? "", machineDtb, entryMode: o.entryMode, noVerify: o.noVerify, memory });
}

/**
 * The DTB an Arm Linux boot hands over (the builder sets /chosen in it): `--dtb`,
 * else the one the container carries (a UKI's `.dtb`, a FIT's fdt), else the
 * QEMU machine's own. A protocol that takes no DTB (x86) refuses `--dtb`.
 */
function devicetree(builder: LinuxBootBuilder, o: LinuxOptions, cwd: string, protocol: string, carried: Uint8Array | undefined, memory: bigint | undefined): Uint8Array | undefined {
  if (!builder.needsMachineDtb(protocol)) {
    if (o.dtb !== undefined) throw new ValidationError("--dtb", `${o.arch} ${protocol} boot takes no devicetree`);
    return undefined;
  }
  if (o.dtb !== undefined) return readFileBounded(resolve(cwd, o.dtb), { role: "DTB", maxBytes: MAX_DTB_BYTES }).bytes;
  if (carried !== undefined) return carried;
  const m = builder.machine(protocol, o.entryMode, memory);
  return dumpMachineDtb({ arch: o.arch as QemuArch, machine: m.machine, memory: m.memory });
}

