/**
 * A real (QEMU-emulated) hart judges the Sv39/Sv48 tables: a few M-mode
 * instructions open memory to S-mode (PMP), load satp with the value the build
 * gives and MRET into S-mode at a spin loop reached through the tables; then
 * QEMU's MMU model translates addresses (`gva2gpa`) and must agree with both
 * the mappings and our walker, address by address.
 */
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { describe, it } from "vitest";
import { RISCV64_SV39, RISCV64_SV48 } from "../src/index.js";
import { mappingSets } from "@handoff/test-support/page-table-properties";
import { probeAddresses, sleep, type QemuSession } from "@handoff/test-support/qemu-oracle";
import { bootRawCode, expectCpuNeverSpins, expectCpuRunsTables, randomSetsBesideCode, rawCodeToolsAvailable, type MmuRig } from "@handoff/test-support/mmu-rig";

const QEMU = "qemu-system-riscv64";
const PREFIX = "riscv64-linux-gnu-";
// QEMU virt RAM starts at 0x8000_0000; its DTB sits at the top of RAM.
const CODE = 0x8020_0000n;
const TABLES = 0x8030_0000n;
/** The spin loop's offset in the code page (.org, so no forward label arithmetic). */
const SPIN_OFFSET = 0x100n;
const available = rawCodeToolsAvailable(QEMU, PREFIX);

function program(satp: bigint): string {
  return `
  .text
  .globl _start
_start:
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li t0, 0x${satp.toString(16)}
  csrw satp, t0
  sfence.vma
  li t0, (3 << 11) | (1 << 7)
  csrc mstatus, t0
  li t0, (1 << 11)
  csrs mstatus, t0
  li t0, 0x${(CODE + SPIN_OFFSET).toString(16)}
  csrw mepc, t0
  mret
  .org 0x${SPIN_OFFSET.toString(16)}
spin:
  j spin
`;
}

function mappingsFor(format: PageTableFormat, codeExecutable: boolean): Mapping[] {
  const rw = { writable: true, executable: false, memoryType: "normal" } as const;
  return [
    { va: CODE, pa: CODE, size: 0x1000n, attributes: { writable: false, executable: codeExecutable, memoryType: "normal" } },
    { va: 0x1000_0000n, pa: 0x1000_0000n, size: 0x1000n, attributes: { writable: true, executable: false, memoryType: "device" } },
    { va: 0x4000_0000n, pa: 0x8000_0000n, size: 0x4000_0000n, attributes: rw },
    { va: 0x1234_0000n, pa: 0x8050_0000n, size: 0x3000n, attributes: rw },
    { va: 0xffff_ffc0_0000_0000n, pa: 0x8060_0000n, size: 0x20_0000n, attributes: rw },
    { va: 0x20_0000n, pa: 0x8040_0000n + 0x1000n, size: 0x2000n, attributes: { ...rw, user: true } },
  ];
}

const rig: MmuRig = {
  boot: (format, mappings) =>
    bootRawCode(format, mappings, { qemu: QEMU, machine: ["-M", "virt", "-bios", "none", "-cpu", "rv64,svpbmt=on", "-m", "2G"], prefix: PREFIX, source: (regs) => program(regs.satp!), asFlags: ["-march=rv64ima_zicsr", "-mno-relax"], codeAt: CODE, tablesAt: TABLES }),
  reachesSpin: async (boot) => {
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if ((await pc(boot.qemu)) === boot.spin) return true;
    }
    return false;
  },
};

/** The hart's pc, from `info registers` (QEMU's QMP register query does not name it for RISC-V). */
async function pc(qemu: QemuSession): Promise<bigint | undefined> {
  const m = /^\s*pc\s+([0-9a-f]+)/m.exec(await qemu.hmp("info registers"));
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

describe.skipIf(!available)("riscv64 Sv39/Sv48 tables on QEMU's MMU (gva2gpa)", () => {
  for (const format of [RISCV64_SV39, RISCV64_SV48]) {
    it(`${format.id}: the hart reaches its spin loop in S-mode through the tables and translates like the walker`, async () => {
      const mappings = mappingsFor(format, true);
      await expectCpuRunsTables(rig, format, mappings, probeAddresses(mappings, [0n, 0x5000_0000n, 0x7fff_f000n, 0x2_0000_0000n]), { minTranslated: 15 });
    }, 60_000);

    it(`${format.id}: random mapping sets (fixed seed) translate on QEMU as the walker says`, async () => {
      const clear = (lo: bigint, size: bigint) => lo + size <= CODE || lo >= TABLES + 0x10_0000n;
      const code = { va: CODE, pa: CODE, size: 0x1000n, attributes: { writable: false, executable: true, memoryType: "normal" as const } };
      // Random sets whose mappings stay clear of the code page and the tables; the first two that keep any.
      for (const ms of randomSetsBesideCode(mappingSets(format, { paLimit: 1n << 34n }), code, (m) => clear(m.va, m.size) && clear(m.pa, m.size), 2)) {
        await expectCpuRunsTables(rig, format, ms, probeAddresses(ms), { againstMappings: false });
      }
    }, 120_000);
  }

  it("riscv64-sv39: with the code page not executable the hart never reaches its spin loop", async () => {
    await expectCpuNeverSpins(rig, RISCV64_SV39, mappingsFor(RISCV64_SV39, false));
  }, 60_000);
});
