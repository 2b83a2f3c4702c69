/**
 * Readers of the running machine for a kexec loader: /proc and /sys files
 * under a root directory (`/` on a live system; a captured tree in tests).
 * Pseudo-files report size 0, so they are read to EOF within a byte bound.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { MemoryMap } from "@handoff/core";
import { memoryMapFromFirmwareMemmap, memoryMapFromIomem, parseIomem, parseLockdown } from "@handoff/core/kexec";
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
  readonly loadDisabled: boolean | undefined;
  /** The active lockdown mode (`none`, `integrity`, `confidentiality`), undefined without the LSM. */
  readonly lockdown: string | undefined;
}

/** Read `/sys/kernel/kexec_loaded`, `kexec_crash_loaded`, `/proc/sys/kernel/kexec_load_disabled` and the lockdown mode. */
export function readKexecStatus(root = "/"): KexecStatus {
  const flag = (rel: string) => {
    const t = optionalText(root, rel, "kexec status");
    return t === undefined ? undefined : t === "1";
  };
  const lockdown = optionalText(root, "sys/kernel/security/lockdown", "lockdown");
  return {
    loaded: flag("sys/kernel/kexec_loaded"),
    crashLoaded: flag("sys/kernel/kexec_crash_loaded"),
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
