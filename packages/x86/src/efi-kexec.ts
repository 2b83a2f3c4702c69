/**
 * EFI boot data for a kexec'd x86 kernel, as kexec-tools' x86-linux-setup.c
 * (setup_efi_info, setup_efi_data) builds it, from what the running kernel
 * exposes (`RunningEfi`, read from /sys/firmware/efi) and its own efi_info
 * (/sys/kernel/boot_params/data):
 * - efi_info (boot_params 0x1c0, bootparam.h struct efi_info): the running
 *   kernel's loader signature, system table address and descriptor version;
 *   efi_memmap / efi_memmap_hi / efi_memmap_size pointing at a copy of the
 *   runtime map, efi_memdesc_size = 40 (the descriptors handoff writes);
 * - one SETUP_EFI (4) setup_data entry (arch/x86/include/asm/efi.h struct
 *   efi_setup_data: fw_vendor, runtime, tables, smbios, 8 reserved words).
 *
 * Why SETUP_EFI and not efi_info alone: EFI's SetVirtualAddressMap may be
 * called once per boot, and the running kernel already called it. A kernel
 * that finds SETUP_EFI (efi_setup) takes the kexec path (x86
 * kexec_enter_virtual_mode: it maps the runtime regions at the virtual
 * addresses the runtime map gives and does not call SetVirtualAddressMap); one
 * given efi_info without it would call it again, which firmware refuses.
 */
import { ByteReader, ValidationError, hex } from "@handoff/core";
import type { RunningEfi } from "@handoff/core/kexec";

/** bootparam.h SETUP_EFI. */
export const SETUP_EFI = 4;
/** struct efi_info's offset in boot_params. */
export const EFI_INFO_OFFSET = 0x1c0;
/** struct efi_info: eight u32 fields. */
export const EFI_INFO_SIZE = 32;
/** An EFI memory descriptor as handoff writes it: u32 type, u32 pad, u64 phys, virt, pages, attribute. */
export const EFI_MEMDESC_SIZE = 40;
/** setup_data header (u64 next, u32 type, u32 len) + struct efi_setup_data (4 + 8 u64). */
const SETUP_EFI_BYTES = 16 + 12 * 8;
/** efi_loader_signature by kernel width: "EL64" / "EL32" (EFI64_LOADER_SIGNATURE, EFI32_LOADER_SIGNATURE) read as a little-endian u32. */
const LOADER_SIGNATURE = { 64: 0x3436_4c45, 32: 0x3233_4c45 } as const;

/** struct efi_info, field by field (each a u32 of boot_params 0x1c0..0x1df). */
export interface EfiInfo {
  /** "EL64" / "EL32": the width of the firmware the EFI stub ran on. */
  readonly loaderSignature: number;
  /** EFI system table, low and high halves. */
  readonly systab: number;
  readonly systabHi: number;
  /** Bytes per memory descriptor, and their version (1 is the only one defined). */
  readonly memdescSize: number;
  readonly memdescVersion: number;
  /** The memory map: address (low, high) and size in bytes. */
  readonly memmap: number;
  readonly memmapHi: number;
  readonly memmapSize: number;
}

/** Decode struct efi_info from a boot_params page. */
export function readEfiInfo(bootParams: Uint8Array, file = "<boot_params>"): EfiInfo {
  const r = new ByteReader(bootParams, file, "boot_params");
  const u32 = (i: number, name: string) => r.u32le(`efi_info.${name}`, EFI_INFO_OFFSET + 4 * i);
  return {
    loaderSignature: u32(0, "efi_loader_signature"),
    systab: u32(1, "efi_systab"),
    memdescSize: u32(2, "efi_memdesc_size"),
    memdescVersion: u32(3, "efi_memdesc_version"),
    memmap: u32(4, "efi_memmap"),
    memmapSize: u32(5, "efi_memmap_size"),
    systabHi: u32(6, "efi_systab_hi"),
    memmapHi: u32(7, "efi_memmap_hi"),
  };
}

/** struct efi_info as 32 bytes. */
export function encodeEfiInfo(info: EfiInfo): Uint8Array {
  const out = new Uint8Array(EFI_INFO_SIZE);
  const v = new DataView(out.buffer);
  [info.loaderSignature, info.systab, info.memdescSize, info.memdescVersion, info.memmap, info.memmapSize, info.systabHi, info.memmapHi].forEach((x, i) => v.setUint32(4 * i, x, true));
  return out;
}

/** The EFI data a kexec'd kernel gets: one block of `bytes` bytes to place. */
export interface X86EfiData {
  readonly kind: "efi";
  readonly bytes: number;
  /** The block for address `at`: its bytes, the efi_info pointing into it, and the setup_data address (`at`). */
  build(at: bigint): { readonly bytes: Uint8Array; readonly efiInfo: EfiInfo; readonly setupData: bigint };
}

/** Why the new kernel gets a zero efi_info (kexec-tools' `--noefi` behaviour), or the data it gets instead. */
export type X86EfiPlan = { readonly kind: "none"; readonly why: string } | X86EfiData;

/**
 * What an x86 kexec passes about EFI, from the running kernel's boot_params and
 * /sys/firmware/efi: nothing (a zero efi_info) when the running kernel did not
 * boot through EFI (efi_memmap_size 0, or no /sys/firmware/efi runtime map),
 * uses a descriptor version other than 1 (as kexec-tools refuses), or runs on
 * firmware of the other width than the new kernel (EL64 firmware and a 32-bit
 * kernel: EFI mixed mode is not entered through kexec; kexec-tools does not
 * check this); else one block (`bytes` long, placed by the caller at `at`):
 * the SETUP_EFI entry, then the runtime map, with efi_info pointing at them.
 */
export function planX86Efi(running: Uint8Array, efi: RunningEfi | undefined, kernel64: boolean, file = "/sys/kernel/boot_params/data"): X86EfiPlan {
  const info = readEfiInfo(running, file);
  if (info.memmapSize === 0) return { kind: "none", why: "the running kernel's efi_info is empty (it did not boot through EFI)" };
  if (efi === undefined) return { kind: "none", why: "/sys/firmware/efi has no runtime map (or lacks fw_vendor, runtime, config_table or systab)" };
  if (info.memdescVersion !== 1) return { kind: "none", why: `EFI memory descriptor version ${info.memdescVersion} (only 1 is defined)` };
  if (info.loaderSignature !== LOADER_SIGNATURE[kernel64 ? 64 : 32]) return { kind: "none", why: `the firmware's loader signature 0x${info.loaderSignature.toString(16)} is not the ${kernel64 ? "64" : "32"}-bit kernel's` };
  const mapBytes = efi.runtimeMap.length * EFI_MEMDESC_SIZE;
  const bytes = SETUP_EFI_BYTES + mapBytes;
  return {
    kind: "efi",
    bytes,
    build(at: bigint) {
      const memmap = at + BigInt(SETUP_EFI_BYTES);
      if (memmap + BigInt(mapBytes) > 1n << 64n) throw new ValidationError("EFI runtime map", `${hex(at)} + ${bytes} bytes wraps past 2^64`);
      const out = new Uint8Array(bytes);
      const v = new DataView(out.buffer);
      v.setBigUint64(0, 0n, true); // next: the only setup_data entry
      v.setUint32(8, SETUP_EFI, true);
      v.setUint32(12, SETUP_EFI_BYTES - 16, true);
      [efi.fwVendor, efi.runtime, efi.configTable, efi.smbios].forEach((x, i) => v.setBigUint64(16 + 8 * i, x, true));
      efi.runtimeMap.forEach((d, i) => {
        const o = SETUP_EFI_BYTES + i * EFI_MEMDESC_SIZE;
        v.setUint32(o, d.type, true);
        v.setBigUint64(o + 8, d.physAddr, true);
        v.setBigUint64(o + 16, d.virtAddr, true);
        v.setBigUint64(o + 24, d.numPages, true);
        v.setBigUint64(o + 32, d.attribute, true);
      });
      const efiInfo: EfiInfo = { ...info, memdescSize: EFI_MEMDESC_SIZE, memmap: Number(memmap & 0xffff_ffffn), memmapHi: Number(memmap >> 32n), memmapSize: mapBytes };
      return { bytes: out, efiInfo, setupData: at };
    },
  };
}
