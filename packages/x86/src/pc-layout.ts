import type { MachineMemoryLayout } from "@handoff/core";

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
