import { HandoffState, type RegisterFile } from "@handoff/core";

/** sstatus.UXL [33:32] = 2: U-mode XLEN 64 (Privileged ISA §10.1.1, "Supervisor Status Register"). */
export const SSTATUS_UXL_64 = 2n << 32n;

/** What the Linux RISC-V boot protocol needs from the loader. */
export interface RiscvLinuxEntry {
  /** Physical address the CPU jumps to (the Image's load address). */
  readonly entry: bigint;
  /** Hart id of the booting hart. */
  readonly hartId: bigint;
  /** Physical address of the flattened device tree (8-byte aligned). */
  readonly dtb: bigint;
}

/**
 * The machine state at the Linux RISC-V kernel entry (Linux
 * Documentation/arch/riscv/boot.rst, "Pre-kernel Requirements and Constraints"):
 * a0 = hart id, a1 = DTB, satp = 0 (MMU off), in S-mode. Every other register is
 * forced to zero, including sstatus.SIE, so interrupts are off at entry;
 * sstatus holds only its read-only UXL field (2: 64-bit U-mode), which no
 * loader can clear.
 */
export function riscvLinuxEntryState(zeroed: RegisterFile, e: RiscvLinuxEntry): HandoffState {
  const clause = "Linux Documentation/arch/riscv/boot.rst";
  return HandoffState.fromProtocol("linux-riscv", zeroed, {
    x10: { value: e.hartId, clause: `${clause}: $a0 contains the hartid of this core` },
    x11: { value: e.dtb, clause: `${clause}: $a1 contains the physical address of the device tree` },
    satp: { value: 0n, clause: `${clause}: satp = 0 (MMU disabled)` },
    sstatus: { value: SSTATUS_UXL_64, clause: "Privileged ISA §10.1.1: sstatus.UXL = 2 (U-mode is 64-bit), read-only on RV64 harts such as QEMU's; every writable bit (SIE included) is zero" },
    priv: { value: 1n, clause: "RISC-V SBI: the kernel is entered in S-mode" },
    pc: { value: e.entry, clause: `${clause}: jump to the kernel image` },
  });
}
