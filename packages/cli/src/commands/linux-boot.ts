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
    if (o.initrd !== undefined || o.cmdline !== undefined) throw new ValidationError("--initrd/--cmdline", "need a Linux --kernel (not --probe)");
    return undefined;
  }
  const arch = loaded.registry.get(o.arch);
  const kernelPath = resolve(cwd, o.kernel);
  // Image.gz, zboot, UKI, uImage, FIT: boot what is inside; a UKI's or FIT's initrd and cmdline apply unless given.
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
  let machineDtb: Uint8Array | undefined;
  if (builder.needsMachineDtb(protocol)) {
    const m = builder.machine(protocol, o.entryMode);
    machineDtb = dumpMachineDtb({ arch: o.arch as QemuArch, machine: m.machine, memory: m.memory });
  }
  return builder.build({ protocol, kernel, kernelPath, initrd, cmdline: cmdline ?? "", machineDtb, entryMode: o.entryMode, noVerify: o.noVerify });
}
