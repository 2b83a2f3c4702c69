/**
 * Readers of the running machine for a kexec loader: /proc and /sys files
 * under a root directory (`/` on a live system; a captured tree in tests).
 * Pseudo-files report size 0, so they are read to EOF within a byte bound.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { MemoryMap, type AddressRange } from "@handoff/core";
import {
  crashRegionsFromIomem,
  memoryMapFromFirmwareMemmap,
  memoryMapFromIomem,
  parseCrashNotes,
  parseIomem,
  parseKexecCrashSize,
  parseLockdown,
  parseVmcoreinfoLocation,
  parseEfiHex,
  parseEfiRuntimeRegion,
  parseEfiSystabSmbios,
  systemRamFromIomem,
  MAX_EFI_RUNTIME_REGIONS,
  type RunningEfi,
  type CrashNoteArea,
  type CrashRegions,
} from "@handoff/core/kexec";
import { FileAccessError, fromSystemError } from "./file-errors.js";

/** Read a pseudo-file to EOF, refusing more than `maxBytes`. */
export function readPseudoFile(path: string, maxBytes: number, role: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw fromSystemError(path, role, "open it", cause);
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new FileAccessError(path, role, "too-large", `more than ${maxBytes} bytes`);
      chunks.push(chunk.subarray(0, n));
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  } catch (cause) {
    if (cause instanceof FileAccessError) throw cause;
    throw fromSystemError(path, role, "read it", cause);
  } finally {
    closeSync(fd);
  }
}

const text = (root: string, rel: string, role: string, maxBytes = 1 << 20) => new TextDecoder().decode(readPseudoFile(join(root, rel), maxBytes, role));
const optionalText = (root: string, rel: string, role: string) => (existsSync(join(root, rel)) ? text(root, rel, role).trim() : undefined);

/** `/proc/iomem` as a memory map (RAM, ACPI, reserved). */
export function readIomemMap(root = "/"): MemoryMap {
  const file = join(root, "proc/iomem");
  return memoryMapFromIomem(parseIomem(text(root, "proc/iomem", "iomem"), file), file);
}

/** `/sys/kernel/kexec_crash_size` (bytes reserved by `crashkernel=`), undefined where the kernel has no such file. */
function readKexecCrashSize(root: string): bigint | undefined {
  const t = optionalText(root, "sys/kernel/kexec_crash_size", "kexec_crash_size");
  return t === undefined ? undefined : parseKexecCrashSize(t, join(root, "sys/kernel/kexec_crash_size"));
}

/** What a crash load reads from the running kernel. */
export interface RunningCrashFacts {
  readonly regions: CrashRegions;
  /** Top-level System RAM of /proc/iomem. */
  readonly systemRam: readonly AddressRange[];
  /** vmcoreinfo, then every CPU's crash_notes (cpu0, cpu1, ...). */
  readonly notes: readonly CrashNoteArea[];
}

/** No machine has more CPUs than this; the walk of /sys/devices/system/cpu stops there. */
const MAX_CPUS = 8192;

/**
 * The crash region (/proc/iomem "Crash kernel", /sys/kernel/kexec_crash_size),
 * System RAM, and the note areas: /sys/kernel/vmcoreinfo and
 * /sys/devices/system/cpu/cpuN/crash_notes (+ _size). Refuses plainly when the
 * kernel was booted without crashkernel= or exposes no vmcoreinfo.
 */
export function readCrashFacts(root = "/"): RunningCrashFacts {
  const file = join(root, "proc/iomem");
  const entries = parseIomem(text(root, "proc/iomem", "iomem"), file);
  memoryMapFromIomem(entries, file); // refuses the all-zero view a non-root reader gets
  const regions = crashRegionsFromIomem(entries, readKexecCrashSize(root), file);
  const vmcoreinfoFile = join(root, "sys/kernel/vmcoreinfo");
  if (!existsSync(vmcoreinfoFile)) throw new FileAccessError(vmcoreinfoFile, "vmcoreinfo", "missing", "the kernel has no CONFIG_CRASH_CORE vmcoreinfo note: a dump could not be read");
  const notes = [parseVmcoreinfoLocation(text(root, "sys/kernel/vmcoreinfo", "vmcoreinfo", 256), vmcoreinfoFile)];
  const cpuDir = join(root, "sys/devices/system/cpu");
  const cpus = existsSync(cpuDir) ? readdirSync(cpuDir).filter((n) => /^cpu\d+$/.test(n)) : [];
  if (cpus.length > MAX_CPUS) throw new FileAccessError(cpuDir, "cpus", "too-large", `${cpus.length} CPUs`);
  for (const cpu of cpus.sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))) {
    const rel = `sys/devices/system/cpu/${cpu}/crash_notes`;
    if (!existsSync(join(root, rel))) continue;
    notes.push(parseCrashNotes(text(root, rel, "crash_notes", 64), text(root, `${rel}_size`, "crash_notes_size", 64), join(root, rel)));
  }
  return { regions, systemRam: systemRamFromIomem(entries), notes };
}

/** `/sys/firmware/memmap` (the firmware's map, e820 on x86), or undefined where the kernel has none. */
export function readFirmwareMemmap(root = "/"): MemoryMap | undefined {
  const dir = join(root, "sys/firmware/memmap");
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  if (names.length > 1024) throw new FileAccessError(dir, "firmware memmap", "too-large", `${names.length} entries`);
  const entries = names.map((n) => ({
    start: text(root, `sys/firmware/memmap/${n}/start`, "firmware memmap", 64),
    end: text(root, `sys/firmware/memmap/${n}/end`, "firmware memmap", 64),
    type: text(root, `sys/firmware/memmap/${n}/type`, "firmware memmap", 256),
  }));
  return memoryMapFromFirmwareMemmap(entries, dir);
}

/** The running kernel's command line (`/proc/cmdline`, without its newline). */
export function readProcCmdline(root = "/"): string {
  return text(root, "proc/cmdline", "cmdline", 64 * 1024).replace(/\n$/, "");
}

/** What the running kernel says about kexec: loaded images, whether loading is disabled, lockdown. */
export interface KexecStatus {
  readonly loaded: boolean | undefined;
  readonly crashLoaded: boolean | undefined;
  /** Bytes reserved for a crash kernel (`/sys/kernel/kexec_crash_size`; 0 without `crashkernel=`). */
  readonly crashSize: bigint | undefined;
  readonly loadDisabled: boolean | undefined;
  /** The active lockdown mode (`none`, `integrity`, `confidentiality`), undefined without the LSM. */
  readonly lockdown: string | undefined;
}

/** Read `/sys/kernel/kexec_loaded`, `kexec_crash_loaded`, `kexec_crash_size`, `/proc/sys/kernel/kexec_load_disabled` and the lockdown mode. */
export function readKexecStatus(root = "/"): KexecStatus {
  const flag = (rel: string) => {
    const t = optionalText(root, rel, "kexec status");
    return t === undefined ? undefined : t === "1";
  };
  const lockdown = optionalText(root, "sys/kernel/security/lockdown", "lockdown");
  return {
    loaded: flag("sys/kernel/kexec_loaded"),
    crashLoaded: flag("sys/kernel/kexec_crash_loaded"),
    crashSize: readKexecCrashSize(root),
    loadDisabled: flag("proc/sys/kernel/kexec_load_disabled"),
    lockdown: lockdown === undefined ? undefined : parseLockdown(lockdown),
  };
}

/** The running kernel's devicetree (`/sys/firmware/fdt`), or undefined where there is none. */
export function readRunningFdt(root = "/"): Uint8Array | undefined {
  const path = join(root, "sys/firmware/fdt");
  return existsSync(path) ? readPseudoFile(path, 16 << 20, "fdt") : undefined;
}

/** The boot_params the running x86 kernel was given (`/sys/kernel/boot_params/data`), or undefined. */
export function readRunningBootParams(root = "/"): Uint8Array | undefined {
  const path = join(root, "sys/kernel/boot_params/data");
  return existsSync(path) ? readPseudoFile(path, 4096, "boot_params") : undefined;
}

/**
 * What the running kernel exposes under /sys/firmware/efi for the next one
 * (as kexec-tools' x86 setup_efi_data reads it): fw_vendor, runtime,
 * config_table, systab's SMBIOS= and every runtime-map/N entry in N's order.
 * Undefined where the kernel did not boot through EFI (no directory) or
 * exposes no runtime map or lacks one of those files (kexec-tools then passes
 * a zero efi_info too).
 */
export function readRunningEfi(root = "/"): RunningEfi | undefined {
  const dir = "sys/firmware/efi";
  if (!existsSync(join(root, dir))) return undefined;
  const value = (name: string) => parseEfiHex(text(root, `${dir}/${name}`, `EFI ${name}`, 256), join(root, dir, name));
  const mapDir = join(root, dir, "runtime-map");
  // kexec-tools too passes nothing (a zero efi_info) when any of these is missing.
  if (!existsSync(mapDir) || !["systab", "fw_vendor", "runtime", "config_table"].every((f) => existsSync(join(root, dir, f)))) return undefined;
  const entries = readdirSync(mapDir).filter((n) => /^\d+$/.test(n));
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_EFI_RUNTIME_REGIONS) throw new FileAccessError(mapDir, "EFI runtime map", "too-large", `more than ${MAX_EFI_RUNTIME_REGIONS} entries`);
  const runtimeMap = entries
    .map(Number)
    .sort((a, b) => a - b)
    .map((n) => {
      const at = `${dir}/runtime-map/${n}`;
      const file = (f: "type" | "phys_addr" | "virt_addr" | "num_pages" | "attribute") => text(root, `${at}/${f}`, `EFI runtime map ${f}`, 256);
      return parseEfiRuntimeRegion({ type: file("type"), phys_addr: file("phys_addr"), virt_addr: file("virt_addr"), num_pages: file("num_pages"), attribute: file("attribute") }, join(root, at));
    });
  return {
    fwVendor: value("fw_vendor"),
    runtime: value("runtime"),
    configTable: value("config_table"),
    smbios: parseEfiSystabSmbios(text(root, `${dir}/systab`, "EFI systab", 4096), join(root, dir, "systab")),
    runtimeMap,
  };
}
