import { FormatError } from "../errors.js";

/**
 * What a running x86 Linux exposes under /sys/firmware/efi for a kexec
 * loader (Linux Documentation/ABI/testing/sysfs-firmware-efi and
 * sysfs-firmware-efi-runtime-map; the files exist when the kernel booted
 * through EFI, the runtime map only with CONFIG_EFI_RUNTIME_MAP): the physical
 * addresses the next kernel needs to reuse the firmware's runtime services
 * without calling SetVirtualAddressMap a second time.
 */
export interface RunningEfi {
  /** `fw_vendor`: physical address of the firmware vendor string. */
  readonly fwVendor: bigint;
  /** `runtime`: physical address of the runtime services table. */
  readonly runtime: bigint;
  /** `config_table`: physical address of the configuration table array. */
  readonly configTable: bigint;
  /** `systab`'s `SMBIOS=` line (0 when there is none, as kexec-tools leaves it). */
  readonly smbios: bigint;
  /** `runtime-map/0`, `/1`, ...: the runtime regions with the virtual addresses the running kernel gave them. */
  readonly runtimeMap: readonly EfiRuntimeRegion[];
}

/** One `runtime-map/N` directory: an EFI memory descriptor (UEFI spec EFI_MEMORY_DESCRIPTOR). */
export interface EfiRuntimeRegion {
  readonly type: number;
  readonly physAddr: bigint;
  readonly virtAddr: bigint;
  readonly numPages: bigint;
  readonly attribute: bigint;
}

/** Runtime regions a map may list: far beyond any firmware's, so a hostile tree cannot make the plan grow without bound. */
export const MAX_EFI_RUNTIME_REGIONS = 4096;

const HEX = /^0x([0-9a-fA-F]{1,16})$/;

/** A sysfs value printed as `0x%lx` (one line), as a 64-bit number. */
export function parseEfiHex(text: string, file: string): bigint {
  const m = HEX.exec(text.trim());
  if (!m) throw new FormatError(file, "sysfs EFI value", "value", 0, `expected one 0x-prefixed hex number of at most 64 bits, got '${text.trim().slice(0, 40)}'`);
  return BigInt(`0x${m[1]}`);
}

/** `systab`'s `SMBIOS=0x...` line (drivers/firmware/efi/efi.c systab_show), 0 when absent; `SMBIOS3=` is a different table. */
export function parseEfiSystabSmbios(text: string, file: string): bigint {
  const line = text.split("\n").find((l) => l.startsWith("SMBIOS="));
  return line === undefined ? 0n : parseEfiHex(line.slice("SMBIOS=".length), `${file} (SMBIOS=)`);
}

/** One runtime-map entry from its five files' text (`type` as `0x%x`, the others `0x%llx`). */
export function parseEfiRuntimeRegion(files: Readonly<Record<"type" | "phys_addr" | "virt_addr" | "num_pages" | "attribute", string>>, dir: string): EfiRuntimeRegion {
  const type = parseEfiHex(files.type, `${dir}/type`);
  if (type > 0xffff_ffffn) throw new FormatError(`${dir}/type`, "sysfs EFI value", "value", 0, `${type} does not fit the descriptor's 32-bit type`);
  const region = {
    type: Number(type),
    physAddr: parseEfiHex(files.phys_addr, `${dir}/phys_addr`),
    virtAddr: parseEfiHex(files.virt_addr, `${dir}/virt_addr`),
    numPages: parseEfiHex(files.num_pages, `${dir}/num_pages`),
    attribute: parseEfiHex(files.attribute, `${dir}/attribute`),
  };
  // 4 KiB EFI pages: the region must not wrap the 64-bit address space.
  if (region.physAddr + (region.numPages << 12n) > 1n << 64n) throw new FormatError(`${dir}/num_pages`, "sysfs EFI value", "value", 0, "the region wraps past 2^64");
  return region;
}
