/**
 * A real (QEMU-emulated) CPU judges the arm64 tables: a few instructions load
 * MAIR_EL1/TCR_EL1/TTBR0_EL1 with the values the build gives, turn the MMU on and
 * spin; then QEMU's MMU model translates addresses (`gva2gpa`) and must agree
 * with both the mappings and our walker, address by address.
 */
import { describe, it } from "vitest";
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { ARM64_16K_48, ARM64_4K_39, ARM64_4K_48, ARM64_64K_48 } from "@handoff/arm64";
import { mappingSets } from "@handoff/test-support/page-table-properties";
import { pcAfterSettling, probeAddresses } from "@handoff/test-support/qemu-oracle";
import { bootRawCode, expectCpuNeverSpins, expectCpuRunsTables, randomSetsBesideCode, rawCodeToolsAvailable, type MmuRig } from "@handoff/test-support/mmu-rig";

const QEMU = "qemu-system-aarch64";
const PREFIX = "aarch64-linux-gnu-";
// QEMU virt puts its DTB in the first MiB of RAM (0x4000_0000); stay clear of it.
const CODE = 0x4020_0000n;
const TABLES = 0x4030_0000n;
const available = rawCodeToolsAvailable(QEMU, PREFIX);

function program(regs: Record<string, bigint>): string {
  return `
  .text
  .globl _start
_start:
  ldr x0, =0x${regs.mair_el1!.toString(16)}
  msr mair_el1, x0
  ldr x0, =0x${regs.tcr_el1!.toString(16)}
  msr tcr_el1, x0
  ldr x0, =0x${regs.ttbr0_el1!.toString(16)}
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1
  dsb sy
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1
  bic x0, x0, #(1 << 19)
  msr sctlr_el1, x0
  isb
spin:
  b spin
  .ltorg
`;
}

function mappingsFor(format: PageTableFormat, codeExecutable: boolean): Mapping[] {
  const granule = format.pageSizes[0]!;
  const block = format.pageSizes[format.pageSizes.length - 1]!;
  const rw = { writable: true, executable: false, memoryType: "normal" } as const;
  return [
    { va: CODE, pa: CODE, size: granule, attributes: { writable: false, executable: codeExecutable, memoryType: "normal" } },
    { va: 0x0900_0000n, pa: 0x0900_0000n, size: granule, attributes: { writable: true, executable: false, memoryType: "device" } },
    { va: 0x1_0000_0000n, pa: 0x4000_0000n, size: block, attributes: rw },
    { va: 0x1234_0000n, pa: 0x4050_0000n, size: 3n * granule, attributes: rw },
    { va: 0x8000_0000n, pa: 0x4040_0000n + granule, size: 2n * granule, attributes: rw },
  ];
}

const rig: MmuRig = {
  boot: (format, mappings) => bootRawCode(format, mappings, { qemu: QEMU, machine: ["-M", "virt", "-cpu", "max", "-m", "2G"], prefix: PREFIX, source: program, codeAt: CODE, tablesAt: TABLES }),
  reachesSpin: async (boot) => (await pcAfterSettling(boot.qemu, "PC", boot.spin)) === boot.spin,
};

describe.skipIf(!available)("arm64 tables on QEMU's MMU (gva2gpa)", () => {
  for (const format of [ARM64_4K_48, ARM64_4K_39, ARM64_16K_48, ARM64_64K_48]) {
    it(`${format.id}: the CPU reaches its spin loop with the MMU on and translates like the walker`, async () => {
      const mappings = mappingsFor(format, true);
      await expectCpuRunsTables(rig, format, mappings, probeAddresses(mappings, [0n, 0x5000_0000n, 0x7fff_f000n, 0x2_0000_0000n]), { minTranslated: 15 });
    }, 60_000);
  }

  for (const format of [ARM64_4K_48, ARM64_4K_39, ARM64_16K_48, ARM64_64K_48]) {
    it(`${format.id}: random mapping sets (fixed seed) translate on QEMU as the walker says`, async () => {
      const clear = (lo: bigint, size: bigint) => lo + size <= CODE || lo >= TABLES + 0x10_0000n;
      const code = { va: CODE, pa: CODE, size: format.pageSizes[0]!, attributes: { writable: false, executable: true, memoryType: "normal" as const } };
      for (const ms of randomSetsBesideCode(mappingSets(format), code, (m) => clear(m.va, m.size) && clear(m.pa, m.size), 2)) {
        await expectCpuRunsTables(rig, format, ms, probeAddresses(ms), { againstMappings: false });
      }
    }, 120_000);
  }

  it("arm64-4k-48: with the code page not executable the CPU never reaches its spin loop", async () => {
    await expectCpuNeverSpins(rig, ARM64_4K_48, mappingsFor(ARM64_4K_48, false));
  }, 60_000);
});
