/**
 * e820 memory map entries as the Linux boot protocol carries them in
 * boot_params (arch/x86/include/uapi/asm/bootparam.h `struct boot_e820_entry`,
 * packed: addr u64, size u64, type u32 = 20 bytes) and the ACPI address range
 * types (ACPI 6.5 §15.1 "INT 15H, E820H").
 */
import type { MemoryRange, MemoryType } from "@handoff/core";

/** Size of a packed `struct boot_e820_entry` (addr u64, size u64, type u32). */
export const E820_ENTRY_SIZE = 20;
/** bootparam.h E820_MAX_ENTRIES_ZEROPAGE. */
export const E820_MAX_ENTRIES_ZEROPAGE = 128;

/** e820 / ACPI address range type values. */
export const E820Type = {
  RAM: 1,
  RESERVED: 2,
  ACPI: 3,
  NVS: 4,
  UNUSABLE: 5,
  PMEM: 7,
} as const;

/** One e820 entry: start address, size and type. */
export interface E820Entry {
  readonly addr: bigint;
  readonly size: bigint;
  readonly type: number;
}

/** e820 type for a core memory type; device memory is reported as reserved. */
export function e820TypeOf(type: MemoryType): number {
  switch (type) {
    case "ram":
      return E820Type.RAM;
    case "acpi":
      return E820Type.ACPI;
    case "nvs":
      return E820Type.NVS;
    case "unusable":
      return E820Type.UNUSABLE;
    case "persistent":
      return E820Type.PMEM;
    case "reserved":
    case "device":
      return E820Type.RESERVED;
  }
}

/** Core memory type for an e820 type; unknown types count as reserved (what Linux does with them). */
export function memoryTypeOfE820(type: number): MemoryType {
  switch (type) {
    case E820Type.RAM:
      return "ram";
    case E820Type.ACPI:
      return "acpi";
    case E820Type.NVS:
      return "nvs";
    case E820Type.UNUSABLE:
      return "unusable";
    case E820Type.PMEM:
      return "persistent";
    default:
      return "reserved";
  }
}

/** The e820 entry describing a memory map range. */
export function e820FromRange(range: MemoryRange): E820Entry {
  return { addr: range.start, size: range.size, type: e820TypeOf(range.type) };
}
