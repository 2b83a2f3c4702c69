import type { HandoffState } from "@handoff/core";
import { compareRegisters, describeMismatches, withQemu } from "@handoff/qemu";
import { BOOT_SELECTORS, VMM_SELECTORS, buildHandoffGdt, type GdtSelectors, type HandoffGdt } from "@handoff/x86";
import { buildX86_64Stub, identityMap1GiB, kexec64Entry, linux64Entry, X86_64_STUB_GDT_OFFSET } from "@handoff/x86_64";
import { describe, expect, it } from "vitest";
import { expectSegmentsPlaced, expectTssBusy, planLoads, planProbe, pvhProbeFile, standardSegments } from "@handoff/test-support/probe-kit";
import { ARCHS } from "@handoff/test-support/archs";
import { requireTool } from "@handoff/test-support";

const STUB = 0x100000n;
const TABLES = 0x120000n;
const BOOT_PARAMS = 0x1f0000n;
const ENTRY = 0x400000n;
const SPIN = Uint8Array.from([0xeb, 0xfe]); // jmp .

type Case = { name: string; selectors: GdtSelectors; state: (gdt: HandoffGdt, gdtBase: bigint, cr3: bigint) => HandoffState };
const cases: Case[] = [
  {
    name: "kexec entry: long mode, identity tables, GPRs zero but rsp (VMM-style selectors 0x08/0x10)",
    selectors: VMM_SELECTORS,
    state: (gdt, gdtBase, cr3) => kexec64Entry({ gdt, gdtBase, cr3, entry: ENTRY, rsp: 0x1ff000n }),
  },
  {
    name: "Linux 64-bit entry: rsi = boot_params, __BOOT_CS 0x10 / __BOOT_DS 0x18",
    selectors: BOOT_SELECTORS,
    state: (gdt, gdtBase, cr3) => linux64Entry({ gdt, gdtBase, cr3, entry: ENTRY, bootParams: BOOT_PARAMS }),
  },
];

describe.skipIf(!requireTool("qemu-system-x86_64"))("x86_64 probe: a PVH ELF whose stub enters long mode in the promised state on a real (TCG) CPU", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const plan = planProbe({ word: 8, segments: standardSegments(ENTRY, 0x600000n, SPIN), stagingBase: 0x800000n, listBase: 0x110000n });
      const gdt = buildHandoffGdt(c.selectors, true);
      const tables = identityMap1GiB(TABLES);
      const state = c.state(gdt, STUB + BigInt(X86_64_STUB_GDT_OFFSET), tables.cr3);
      const stub = buildX86_64Stub(state, plan, gdt);
      const file = pvhProbeFile(64, STUB, [...planLoads(plan), { paddr: STUB, bytes: stub.bytes }, { paddr: TABLES, bytes: tables.bytes }, { paddr: BOOT_PARAMS, bytes: new Uint8Array(4096) }]);
      await withQemu({ arch: "x86_64", kernel: file, lifetimeMs: 30_000 }, async (m) => {
        const observed = await m.waitForPc(ENTRY, ARCHS.x86_64, 20_000);
        const rows = compareRegisters(state, observed);
        // 16 GPRs, RIP, RFLAGS, 8 segment registers x 4, GDTR/IDTR x 2, CR0/2/3/4, EFER.
        expect(rows).toHaveLength(16 + 2 + 8 * 4 + 4 + 4 + 1);
        expect(describeMismatches(rows)).toBe("");
        expect(observed.file.get("efer")).toBe(0x500n);
        expect(observed.file.get("cs_attr") & 0x2000n).toBe(0x2000n); // L: 64-bit code
        expect(rows.find((r) => r.name === "tr_attr")!.deviation).toMatch(/busy/);
        await expectTssBusy(m, STUB + BigInt(X86_64_STUB_GDT_OFFSET), c.selectors.tss);
        await expectSegmentsPlaced(m, plan);
      });
    }, 60_000);
  }
});
