import type { MemoryType } from "./memory-map.js";

/**
 * A typed range a machine always has, whatever its RAM size (e.g. the PC's
 * legacy VGA/BIOS hole). It is carved out of the RAM address space and counts
 * against the RAM size, as QEMU's PC machines do.
 */
export interface FixedRegion {
  readonly start: bigint;
  readonly size: bigint;
  readonly type: MemoryType;
}

/**
 * An MMIO window RAM must skip: RAM that would start at or above `start`
 * continues at `resume` instead (the PC's 32-bit PCI hole below 4 GiB).
 */
export interface RamSplit {
  readonly start: bigint;
  readonly resume: bigint;
}

/**
 * Where a machine puts its RAM, as data an `Architecture` supplies
 * (`Architecture.defaultMachine`). `MemoryMap.fromMachine(size, layout)` turns
 * it into a map for a given RAM size.
 */
export interface MachineMemoryLayout {
  /** e.g. `pc`, `virt`. */
  readonly id: string;
  readonly description: string;
  /** First RAM address; the RAM size counts from here. */
  readonly ramBase: bigint;
  /** Holes inside the RAM address space that count against the size. */
  readonly fixedRegions: readonly FixedRegion[];
  /** MMIO windows RAM jumps over (do not count against the size); sorted by start. */
  readonly splits: readonly RamSplit[];
  /** Largest RAM size the machine accepts, if it has one. */
  readonly maxRam?: bigint;
}

/**
 * QEMU `pc`/`q35`-style PC layout: conventional memory up to 0x9fc00 (the EBDA
 * starts there), the legacy hole 0x9fc00..1 MiB (EBDA, VGA, option ROMs, BIOS),
 * RAM from 1 MiB, and RAM that does not fit below 3 GiB continuing at 4 GiB
 * (QEMU's "gigabyte aligned" low-memory split).
 */
export const PC_MEMORY_LAYOUT: MachineMemoryLayout = {
  id: "pc",
  description: "PC: low RAM below 0x9fc00, legacy hole to 1 MiB, RAM above; PCI hole 3..4 GiB",
  ramBase: 0n,
  fixedRegions: [{ start: 0x9fc00n, size: 0x100000n - 0x9fc00n, type: "reserved" }],
  splits: [{ start: 0xc0000000n, resume: 0x1_0000_0000n }],
};

/** QEMU arm/aarch64 `-M virt`: RAM from 0x40000000 (hw/arm/virt.c memmap VIRT_MEM), up to 255 GiB below the high MMIO. */
export const ARM_VIRT_MEMORY_LAYOUT: MachineMemoryLayout = {
  id: "virt",
  description: "QEMU arm -M virt: RAM at 0x40000000",
  ramBase: 0x40000000n,
  fixedRegions: [],
  splits: [],
  maxRam: 255n << 30n,
};
