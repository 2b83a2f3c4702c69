import type { LinuxMachine, MachineMemoryLayout } from "@handoff/core";

const MIB = 0x10_0000n;

/** QEMU arm/aarch64 `-M virt`: RAM starts at 0x4000_0000 (hw/arm/virt.c memmap VIRT_MEM). */
export const ARM_VIRT_RAM_BASE = 0x4000_0000n;

/** The PL011 UART data register on QEMU `-M virt` (hw/arm/virt.c memmap VIRT_UART): where the stub reports a segment mismatch. */
export const ARM_VIRT_PL011 = 0x0900_0000n;

/**
 * Addresses of a flat-payload artefact on `-M virt` with at least 128 MiB:
 * QEMU puts its own DTB at the RAM base when it loads no kernel (so the DTB
 * register points at a real DTB); payload at RAM + 4 MiB, staging at + 8 MiB,
 * stub and list at + 16 MiB.
 */
export const ARM_VIRT_LOADER_LAYOUT = {
  dtb: ARM_VIRT_RAM_BASE,
  entry: ARM_VIRT_RAM_BASE + 4n * MIB,
  staging: ARM_VIRT_RAM_BASE + 8n * MIB,
  stub: ARM_VIRT_RAM_BASE + 16n * MIB,
  list: ARM_VIRT_RAM_BASE + 16n * MIB + 0x1_0000n,
  maxPayload: 4n * MIB,
} as const;

/** QEMU `-M virt -m 512M`, the machine the Linux boots plan for. */
export const ARM_VIRT_LINUX_MACHINE: LinuxMachine = { machine: "virt", memory: "512M", ramBase: ARM_VIRT_RAM_BASE, ramSize: 512n * MIB };

/** QEMU arm/aarch64 `-M virt`: RAM from 0x40000000 (hw/arm/virt.c memmap VIRT_MEM), up to 255 GiB below the high MMIO. */
export const ARM_VIRT_MEMORY_LAYOUT: MachineMemoryLayout = {
  id: "virt",
  description: "QEMU arm -M virt: RAM at 0x40000000",
  ramBase: ARM_VIRT_RAM_BASE,
  fixedRegions: [],
  splits: [],
  maxRam: 255n << 30n,
};
