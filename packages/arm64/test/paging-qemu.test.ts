/**
 * A real (QEMU-emulated) CPU judges the arm64 tables: a few instructions load
 * MAIR_EL1/TCR_EL1/TTBR0_EL1 with the values the build gives, turn the MMU on and
 * spin; then QEMU's MMU model translates addresses (`gva2gpa`) and must agree
 * with both the mappings and our walker, address by address.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { ARM64_16K_48, ARM64_4K_39, ARM64_4K_48, ARM64_64K_48 } from "@handoff/arm64";
import fc from "fast-check";
import { mappingSets } from "@handoff/test-support/page-table-properties";
import { QemuSession, assemble, expectCpuTranslatesLikeWalker, pcAfterSettling, probeAddresses, requireTool, scratchDir, sleep } from "@handoff/test-support/qemu-oracle";

const QEMU = "qemu-system-aarch64";
const PREFIX = "aarch64-linux-gnu-";
// QEMU virt puts its DTB in the first MiB of RAM (0x4000_0000); stay clear of it.
const CODE = 0x4020_0000n;
const TABLES = 0x4030_0000n;
const available = requireTool(QEMU) && requireTool(`${PREFIX}as`) && requireTool(`${PREFIX}objcopy`);

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

async function boot(format: PageTableFormat, mappings: Mapping[]) {
  const build = format.build(mappings, { tableBase: TABLES });
  const { dir, cleanup } = scratchDir();
  const code = assemble(PREFIX, program(build.registers), dir);
  const nm = spawnSync(`${PREFIX}nm`, [join(dir, "code.o")], { encoding: "utf8" }).stdout;
  const spin = CODE + BigInt(`0x${/([0-9a-f]+) t spin/.exec(nm)![1]}`);
  const tables = join(dir, "tables.bin");
  writeFileSync(tables, build.segment.bytes);
  const qemu = await QemuSession.start(
    QEMU,
    ["-M", "virt", "-cpu", "max", "-m", "2G", "-device", `loader,file=${code},addr=0x${CODE.toString(16)},force-raw=on`, "-device", `loader,file=${tables},addr=0x${TABLES.toString(16)},force-raw=on`, "-device", `loader,addr=0x${CODE.toString(16)},cpu-num=0`],
    dir,
  );
  return { build, qemu, spin, cleanup };
}

describe.skipIf(!available)("arm64 tables on QEMU's MMU (gva2gpa)", () => {
  for (const format of [ARM64_4K_48, ARM64_4K_39, ARM64_16K_48, ARM64_64K_48]) {
    it(`${format.id}: the CPU reaches its spin loop with the MMU on and translates like the walker`, async () => {
      const mappings = mappingsFor(format, true);
      const { build, qemu, spin, cleanup } = await boot(format, mappings);
      try {
        expect(await pcAfterSettling(qemu, "PC", spin)).toBe(spin);
        await expectCpuTranslatesLikeWalker(format, build, qemu, mappings, probeAddresses(mappings, [0n, 0x5000_0000n, 0x7fff_f000n, 0x2_0000_0000n]), { minTranslated: 15 });
      } finally {
        await qemu.stop();
        cleanup();
      }
    }, 60_000);
  }

  for (const format of [ARM64_4K_48, ARM64_4K_39, ARM64_16K_48, ARM64_64K_48]) {
    it(`${format.id}: random mapping sets (fixed seed) translate on QEMU as the walker says`, async () => {
      const granule = format.pageSizes[0]!;
      const clear = (lo: bigint, size: bigint) => lo + size <= CODE || lo >= TABLES + 0x10_0000n;
      for (const random of fc.sample(mappingSets(format), { numRuns: 2 })) {
        const ms = [
          { va: CODE, pa: CODE, size: granule, attributes: { writable: false, executable: true, memoryType: "normal" as const } },
          ...random.filter((m) => clear(m.va, m.size) && clear(m.pa, m.size)),
        ];
        expect(ms.length, "the run's seed yields random mappings besides the code page").toBeGreaterThan(1);
        const { build, qemu, spin, cleanup } = await boot(format, ms);
        try {
          expect(await pcAfterSettling(qemu, "PC", spin)).toBe(spin);
          await expectCpuTranslatesLikeWalker(format, build, qemu, ms, probeAddresses(ms), { againstMappings: false });
        } finally {
          await qemu.stop();
          cleanup();
        }
      }
    }, 120_000);
  }

  it("arm64-4k-48: with the code page not executable the CPU never reaches its spin loop", async () => {
    const { qemu, spin, cleanup } = await boot(ARM64_4K_48, mappingsFor(ARM64_4K_48, false));
    try {
      await sleep(1000);
      expect(await qemu.register("PC")).not.toBe(spin);
    } finally {
      await qemu.stop();
      cleanup();
    }
  }, 60_000);
});
