/**
 * QEMU's x86 MMU judges the x86-64 tables: a multiboot stub loads CR3/CR4/EFER/CR0
 * from the build (IA-32e mode, compatibility submode) and spins; `gva2gpa` must
 * agree with the walker and the mappings for every probe address.
 */
import { describe, expect, it } from "vitest";
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { X86_64_4LEVEL, X86_64_5LEVEL } from "@handoff/x86_64";
import { mappingSets } from "@handoff/test-support/page-table-properties";
import { X86_CODE, X86_TABLES, x86MmuRig, x86ToolsAvailable } from "@handoff/test-support/x86-mmu-oracle";
import { probeAddresses } from "@handoff/test-support/qemu-oracle";
import { expectCpuNeverSpins, expectCpuRunsTables, randomSetsBesideCode } from "@handoff/test-support/mmu-rig";

const available = x86ToolsAvailable();
const KIB4 = 0x1000n;
const MIB2 = 0x20_0000n;
const GIB = 0x4000_0000n;
const rw = { writable: true, executable: false, memoryType: "normal" } as const;

function mappings(format: PageTableFormat, codeExecutable: boolean): Mapping[] {
  const m: Mapping[] = [
    { va: X86_CODE, pa: X86_CODE, size: KIB4, attributes: { writable: false, executable: codeExecutable, memoryType: "normal" } },
    { va: 0xfee0_0000n, pa: 0xfee0_0000n, size: KIB4, attributes: { writable: true, executable: false, memoryType: "device" } },
    { va: 4n * GIB, pa: GIB, size: GIB, attributes: rw }, // 1 GiB page
    { va: 0x4000_0000n, pa: 0x6000_0000n + KIB4, size: MIB2 + 3n * KIB4, attributes: rw }, // PA not 2 MiB aligned: 4 KiB pages
    { va: 0x8000_0000n, pa: 0x3000_0000n, size: 2n * MIB2, attributes: rw }, // 2 MiB pages
    { va: 0xffff_ffff_8000_0000n, pa: 0x100_0000n + 0x40_0000n, size: MIB2, attributes: rw }, // upper half
  ];
  if (format === X86_64_5LEVEL) m.push({ va: 1n << 50n, pa: 0x5000_0000n, size: MIB2, attributes: rw });
  return m;
}

const rig = x86MmuRig((format) => (format === X86_64_5LEVEL ? "max,+la57" : "max"));

describe.skipIf(!available)("x86-64 tables on QEMU's MMU (gva2gpa)", () => {
  for (const format of [X86_64_4LEVEL, X86_64_5LEVEL]) {
    it(`${format.id}: the CPU enters IA-32e mode, reaches its spin loop and translates like the walker`, async () => {
      const ms = mappings(format, true);
      await expectCpuRunsTables(rig, format, ms, probeAddresses(ms, [0n, 0x1_0000_0000_0000n, 0x7fff_ffff_f000n]), { minTranslated: 18 });
    }, 60_000);
  }

  it("x86_64-4level: random mapping sets (fixed seed, lower and upper half) translate on QEMU as the walker says", async () => {
    const format = X86_64_4LEVEL;
    // Keep clear of the stub, the tables, and the low memory the BIOS and multiboot loader use.
    const clear = (lo: bigint, size: bigint) => lo >= X86_TABLES + 0x100_0000n || lo + size <= 0x9_0000n;
    const keep = (m: Mapping) => (m.va >= 1n << 47n || clear(m.va, m.size)) && clear(m.pa, m.size);
    const upper = (i: bigint) => (1n << 64n) - (1n << 47n) + i;
    const code: Mapping = { va: X86_CODE, pa: X86_CODE, size: KIB4, attributes: { writable: false, executable: true, memoryType: "normal" } };
    const sets = [...randomSetsBesideCode(mappingSets(format), code, keep, 2), ...randomSetsBesideCode(mappingSets(format, { vaFromIndex: upper }), code, keep, 1)];
    for (const ms of sets) await expectCpuRunsTables(rig, format, ms, probeAddresses(ms, [0n]), { againstMappings: false });
  }, 120_000);

  it("x86_64-4level: with NX on the code page the CPU never reaches its spin loop", async () => {
    // The fetch from the NX page faults with no IDT to take it: triple fault, VM stopped.
    await expectCpuNeverSpins(rig, X86_64_4LEVEL, mappings(X86_64_4LEVEL, false), async (boot) => expect(await boot.qemu.status()).not.toBe("running"));
  }, 60_000);
});
