/**
 * What a crash (kdump) load needs from the running machine, whatever the arch:
 * the crash region the kernel reserved at boot (`crashkernel=`), the System RAM
 * the dump must cover, the command line the capture kernel gets. The files are
 * read by `@handoff/node`; these functions only see their contents.
 */
import { hex } from "../bits.js";
import { ValidationError } from "../errors.js";
import type { AddressRange } from "../memory-map.js";
import { KexecRefusedError } from "./live-backend.js";
import type { IomemEntry } from "./running-machine.js";

/** `/proc/iomem` name of a crash region (kernel/crash_core.c crashk_res and crashk_low_res, both "Crash kernel"). */
export const CRASH_KERNEL_RESOURCE = "Crash kernel";
/** `/proc/iomem` name of RAM the kernel manages (kernel/resource.c). */
export const SYSTEM_RAM_RESOURCE = "System RAM";

/** The facts a crash load is planned from. */
export interface CrashRegions {
  /** The region kexec_load places into (crashk_res: the kernel refuses a crash segment outside it). */
  readonly main: AddressRange;
  /** Every crash region (crashk_res and, when the kernel reserved one, crashk_low_res): out of the dump, RAM for the capture kernel. */
  readonly all: readonly AddressRange[];
}

/** `[start, end]` inclusive iomem entries as half-open ranges. */
const halfOpen = (e: IomemEntry): AddressRange => ({ start: e.start, end: e.end + 1n });

/** Top-level "System RAM" of /proc/iomem: what the crashed kernel's memory was (kexec-tools and kexec_file both dump exactly this). */
export function systemRamFromIomem(entries: readonly IomemEntry[]): AddressRange[] {
  return entries.filter((e) => e.depth === 0 && e.name === SYSTEM_RAM_RESOURCE).map(halfOpen);
}

/**
 * The crash regions of /proc/iomem (nested under System RAM). `crashSize` is
 * `/sys/kernel/kexec_crash_size` (resource_size(crashk_res), 0 without
 * `crashkernel=`): the region of that size is the main one, else the largest.
 * No region, or a size of 0, is the plain refusal a user needs.
 */
export function crashRegionsFromIomem(entries: readonly IomemEntry[], crashSize: bigint | undefined, file = "/proc/iomem"): CrashRegions {
  const all = entries.filter((e) => e.name === CRASH_KERNEL_RESOURCE).map(halfOpen);
  if (all.length === 0 || crashSize === 0n) {
    throw new KexecRefusedError(
      "kexec_load --crash",
      `no crash region: the running kernel was booted without crashkernel= (${file} has no "${CRASH_KERNEL_RESOURCE}"${crashSize === 0n ? ", /sys/kernel/kexec_crash_size is 0" : ""}); reboot with e.g. crashkernel=256M`,
    );
  }
  const bySize = crashSize === undefined ? undefined : all.find((r) => r.end - r.start === crashSize);
  const main = bySize ?? all.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
  return { main, all };
}

/** Parse `/sys/kernel/kexec_crash_size` (decimal bytes, kernel/ksysfs.c `%zu`). */
export function parseKexecCrashSize(text: string, file = "/sys/kernel/kexec_crash_size"): bigint {
  const t = text.trim();
  if (!/^[0-9]{1,20}$/.test(t)) throw new ValidationError(file, `expected a decimal byte count, found ${JSON.stringify(t.slice(0, 40))}`);
  return BigInt(t);
}

/** Command-line words a capture kernel must not inherit: it would reserve a crash region of its own, or find a stale header. */
const CAPTURE_DROPPED_KEYS = ["crashkernel", "elfcorehdr"];

/**
 * The capture kernel's command line: `cmdline` without `crashkernel=` and
 * `elfcorehdr=` words (a reused /proc/cmdline has the first), then, when
 * given, `elfcorehdr=0xADDR` — the form Linux's own kexec_file_load writes
 * (memparse'd by fs/proc/vmcore.c's setup_elfcorehdr; arm64 passes it in the
 * devicetree instead) — and the arch's `extra` words (arm32: `mem=`), whose
 * keys are dropped from `cmdline` too.
 */
export function captureCmdline(cmdline: string, elfcorehdr: bigint | undefined, extra: readonly string[] = []): string {
  const dropped = new Set([...CAPTURE_DROPPED_KEYS, ...extra.map((w) => w.split("=")[0]!)]);
  const kept = cmdline.split(/\s+/).filter((w) => w !== "" && !dropped.has(w.split("=")[0]!));
  return [...kept, ...(elfcorehdr === undefined ? [] : [`elfcorehdr=${hex(elfcorehdr)}`]), ...extra].join(" ");
}

/** One line saying a plan does not fit the crash region, with the fix. */
export function crashRegionTooSmall(region: AddressRange, what: string, cause?: unknown): ValidationError {
  const mib = (region.end - region.start) >> 20n;
  return new ValidationError(
    "kexec load --crash",
    `${what} does not fit the crash region [${hex(region.start)}, ${hex(region.end)}) of ${mib} MiB; boot the running kernel with a larger crashkernel=`,
    cause === undefined ? undefined : { cause },
  );
}
