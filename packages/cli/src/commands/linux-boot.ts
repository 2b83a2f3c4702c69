import { resolve } from "node:path";
import { LINUX_BOOT_BUILDER, ValidationError, unwrapImage, type HandoffArtefact, type LinuxBootBuilder } from "@handoff/core";
import { dumpMachineDtb, type QemuArch } from "@handoff/qemu";
import type { LoadedArchitectures } from "../container.js";
import { checkCmdline } from "../cmdline-limit.js";
import { readInput } from "../file-io.js";

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
  readonly entryMode?: string;
  readonly probe: boolean;
  /** Leave the stub's segment check out. */
  readonly noVerify?: boolean;
}

function readBounded(path: string, what: string): Uint8Array {
  return readInput(path, { what, maxBytes: MAX_LINUX_FILE_BYTES }).bytes;
}

/**
 * The artefact that boots a real Linux kernel, or undefined when the request is
 * a flat payload / probe. Linux mode: `--initrd` or `--cmdline` given, or the
 * kernel is one of the arch's image formats (bzImage, arm64 Image, zImage).
 */
export function linuxArtefact(loaded: LoadedArchitectures, o: LinuxOptions, cwd: string): HandoffArtefact | undefined {
  if (o.probe || !o.kernel) {
    if (o.initrd !== undefined || o.cmdline !== undefined || o.dtb !== undefined) throw new ValidationError("--initrd/--cmdline/--dtb", "need a Linux --kernel (not --probe)");
    return undefined;
  }
  const arch = loaded.registry.get(o.arch);
  const kernelPath = resolve(cwd, o.kernel);
  // Image.gz, zboot, UKI, uImage, FIT: boot what is inside; a UKI's or FIT's initrd, cmdline and DTB apply unless given.
  const unwrapped = unwrapImage({ path: kernelPath, bytes: readBounded(kernelPath, "kernel") });
  const kernel = unwrapped.input.bytes;
  const format = arch.imageFormats.find((f) => f.probe({ path: kernelPath, bytes: kernel }));
  const recognised = format !== undefined;
  if (!recognised && o.initrd === undefined && o.cmdline === undefined && unwrapped.layers.length === 0) return undefined;
  const builders = loaded.container.isRegistered(LINUX_BOOT_BUILDER) ? loaded.container.resolveAll<LinuxBootBuilder>(LINUX_BOOT_BUILDER) : [];
  const builder = builders.find((b) => b.arch === o.arch);
  if (!builder) throw new ValidationError(`--arch ${o.arch}`, "the installed architecture package cannot boot a Linux kernel");
  if (!recognised) throw new ValidationError(kernelPath, `is not a kernel image ${o.arch} knows (${arch.imageFormats.map((f) => f.id).join(", ")})`);
  const cmdline = o.cmdline ?? unwrapped.cmdline;
  checkCmdline(o.arch, format.parse({ path: kernelPath, bytes: kernel }), cmdline);
  const protocol = o.protocol ?? builder.protocols[0]!;
  if (!builder.protocols.includes(protocol)) throw new ValidationError(`--protocol ${protocol}`, `a Linux kernel boots on ${o.arch} through ${builder.protocols.join(" or ")}`);
  const initrd = o.initrd === undefined ? unwrapped.initrd : readBounded(resolve(cwd, o.initrd), "initrd");
  const machineDtb = devicetree(builder, o, cwd, protocol, unwrapped.dtb);
  return builder.build({ protocol, kernel, kernelPath, initrd, cmdline: cmdline ?? "", machineDtb, entryMode: o.entryMode, noVerify: o.noVerify });
}

/**
 * The DTB an Arm Linux boot hands over (the builder sets /chosen in it): `--dtb`,
 * else the one the container carries (a UKI's `.dtb`, a FIT's fdt), else the
 * QEMU machine's own. A protocol that takes no DTB (x86) refuses `--dtb`.
 */
function devicetree(builder: LinuxBootBuilder, o: LinuxOptions, cwd: string, protocol: string, carried: Uint8Array | undefined): Uint8Array | undefined {
  if (!builder.needsMachineDtb(protocol)) {
    if (o.dtb !== undefined) throw new ValidationError("--dtb", `${o.arch} ${protocol} boot takes no devicetree`);
    return undefined;
  }
  if (o.dtb !== undefined) return readInput(resolve(cwd, o.dtb), { what: "dtb", maxBytes: MAX_DTB_BYTES }).bytes;
  if (carried !== undefined) return carried;
  const m = builder.machine(protocol, o.entryMode);
  return dumpMachineDtb({ arch: o.arch as QemuArch, machine: m.machine, memory: m.memory });
}

/** Largest `--dtb` read (the Arm builders plan 2 MiB for the DTB with /chosen added). */
const MAX_DTB_BYTES = 2 * 1024 * 1024;
