/**
 * QEMU's ARMv7 MMU (Cortex-A15, which has LPAE) judges the arm32 tables: a few
 * instructions load TTBCR/DACR/TTBR0 (and MAIR0/1 for LPAE) from the build,
 * turn SCTLR.M on and spin; `gva2gpa` must agree with the walker and the mappings.
 */
import { describe, it } from "vitest";
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { ARM32_LPAE, ARM32_SHORT } from "@handoff/arm32";
import { pcAfterSettling, probeAddresses } from "@handoff/test-support/qemu-oracle";
import { bootRawCode, expectCpuNeverSpins, expectCpuRunsTables, rawCodeToolsAvailable, type MmuRig } from "@handoff/test-support/mmu-rig";

const QEMU = "qemu-system-arm";
const PREFIX = "arm-linux-gnueabihf-";
// QEMU virt puts its DTB in the first MiB of RAM (0x4000_0000); stay clear of it.
const CODE = 0x4020_0000n;
const TABLES = 0x4030_0000n;
const KIB4 = 0x1000n;
const MIB = 0x10_0000n;
const available = rawCodeToolsAvailable(QEMU, PREFIX);

const hex = (v: bigint) => `0x${v.toString(16)}`;

function program(regs: Record<string, bigint>, lpae: boolean): string {
  const ttbr0 = regs.ttbr0!;
  return `
  .arch armv7-a
  .arm
  .text
  .globl _start
_start:
  ldr r0, =${hex(regs.ttbcr!)}
  mcr p15, 0, r0, c2, c0, 2
${
  lpae
    ? `  ldr r0, =${hex(ttbr0 & 0xffff_ffffn)}
  ldr r1, =${hex(ttbr0 >> 32n)}
  mcrr p15, 0, r0, r1, c2
  ldr r0, =${hex(regs.mair0!)}
  mcr p15, 0, r0, c10, c2, 0
  ldr r0, =${hex(regs.mair1!)}
  mcr p15, 0, r0, c10, c2, 1`
    : `  ldr r0, =${hex(regs.dacr!)}
  mcr p15, 0, r0, c3, c0, 0
  ldr r0, =${hex(ttbr0)}
  mcr p15, 0, r0, c2, c0, 0`
}
  isb
  mov r0, #0
  mcr p15, 0, r0, c8, c7, 0
  dsb
  isb
  mrc p15, 0, r0, c1, c0, 0
  bic r0, r0, #(1 << 28)
  bic r0, r0, #(1 << 29)
  orr r0, r0, #1
  mcr p15, 0, r0, c1, c0, 0
  isb
spin:
  b spin
  .ltorg
`;
}

function mappings(format: PageTableFormat, codeExecutable: boolean): Mapping[] {
  const rw = { writable: true, executable: false, memoryType: "normal" } as const;
  const common: Mapping[] = [
    { va: CODE, pa: CODE, size: KIB4, attributes: { writable: false, executable: codeExecutable, memoryType: "normal" } },
    { va: 0x0900_0000n, pa: 0x0900_0000n, size: KIB4, attributes: { writable: true, executable: false, memoryType: "device" } },
    { va: 0x1000_0000n, pa: 0x4050_1000n, size: MIB + 3n * KIB4, attributes: rw }, // misaligned PA: small pages
  ];
  if (format === ARM32_SHORT) {
    return [
      ...common,
      { va: 0x8000_0000n, pa: 0x4000_0000n, size: 2n * MIB, attributes: rw }, // sections
      { va: 0x0100_0000n, pa: 0x4100_0000n, size: 16n * MIB, attributes: { ...rw, user: true } }, // supersection
    ];
  }
  return [
    ...common,
    { va: 0xc000_0000n, pa: 0x1_0000_0000n, size: 0x4000_0000n, attributes: rw }, // 1 GiB block above 4 GiB
    { va: 0x8000_0000n, pa: 0x4040_0000n, size: 4n * MIB, attributes: rw }, // 2 MiB blocks
  ];
}

const rig: MmuRig = {
  boot: (format, ms) =>
    bootRawCode(format, ms, { qemu: QEMU, machine: ["-M", "virt", "-cpu", "cortex-a15", "-m", "1G"], prefix: PREFIX, source: (regs) => program(regs, format === ARM32_LPAE), codeAt: CODE, tablesAt: TABLES }),
  reachesSpin: async (boot) => (await pcAfterSettling(boot.qemu, "R15", boot.spin)) === boot.spin,
};

describe.skipIf(!available)("arm32 tables on QEMU's MMU (gva2gpa)", () => {
  for (const format of [ARM32_SHORT, ARM32_LPAE]) {
    it(`${format.id}: the CPU reaches its spin loop with the MMU on and translates like the walker`, async () => {
      const ms = mappings(format, true);
      await expectCpuRunsTables(rig, format, ms, probeAddresses(ms, [0n, 0x2000_0000n, 0xffff_f000n]), { minTranslated: 15 });
    }, 60_000);
  }

  it("arm32-short: with XN on the code page the CPU never reaches its spin loop", async () => {
    await expectCpuNeverSpins(rig, ARM32_SHORT, mappings(ARM32_SHORT, false));
  }, 60_000);
});
