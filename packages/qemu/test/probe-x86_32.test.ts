import type { HandoffState } from "@handoff/core";
import { compareRegisters, describeMismatches, withQemu } from "@handoff/qemu";
import { BOOT_SELECTORS, VMM_SELECTORS, buildHandoffGdt, type GdtSelectors } from "@handoff/x86";
import { buildX86_32Stub, linux32Entry, pvhEntry, X86_32_STUB_GDT_OFFSET } from "@handoff/x86_32";
import { describe, expect, it } from "vitest";
import { expectSegmentsPlaced, expectTssBusy, planLoads, planProbe, pvhProbeFile, standardSegments } from "@handoff/test-support/probe-kit";
import { ARCHS } from "@handoff/test-support/archs";
import { requireTool } from "@handoff/test-support";

const STUB = 0x100000n;
const START_INFO = 0x1f0000n;
const ENTRY = 0x400000n;
const SPIN = Uint8Array.from([0xeb, 0xfe]); // jmp .

/** A minimal hvm_start_info (xen public/arch-x86/hvm/start_info.h): magic, version 1, no modules. */
function startInfoPage(): Uint8Array {
  const page = new Uint8Array(4096);
  const v = new DataView(page.buffer);
  v.setUint32(0, 0x336ec578, true);
  v.setUint32(4, 1, true);
  return page;
}

const cases: { name: string; selectors: GdtSelectors; state: (gdtBase: bigint, gdt: ReturnType<typeof buildHandoffGdt>) => HandoffState }[] = [
  { name: "Xen PVH entry (VMM-style selectors 0x08/0x10)", selectors: VMM_SELECTORS, state: (gdtBase, gdt) => pvhEntry({ gdt, gdtBase, startInfo: START_INFO, entry: ENTRY }) },
  { name: "Linux 32-bit entry (__BOOT_CS 0x10 / __BOOT_DS 0x18)", selectors: BOOT_SELECTORS, state: (gdtBase, gdt) => linux32Entry({ gdt, gdtBase, bootParams: START_INFO, entry: ENTRY }) },
];

describe.skipIf(!requireTool("qemu-system-i386"))("x86_32 probe: a PVH ELF whose stub reaches the promised state on a real (TCG) CPU", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const plan = planProbe({ word: 4, segments: standardSegments(ENTRY, 0x600000n, SPIN), stagingBase: 0x800000n, listBase: 0x110000n });
      const gdt = buildHandoffGdt(c.selectors, false);
      const state = c.state(STUB + BigInt(X86_32_STUB_GDT_OFFSET), gdt);
      const stub = buildX86_32Stub(state, plan, gdt);
      const file = pvhProbeFile(32, STUB, [...planLoads(plan), { paddr: STUB, bytes: stub.bytes }, { paddr: START_INFO, bytes: startInfoPage() }]);
      await withQemu({ arch: "x86_32", kernel: file, lifetimeMs: 30_000 }, async (m) => {
        const observed = await m.waitForPc(ENTRY, ARCHS.x86_32, 20_000);
        const rows = compareRegisters(state, observed);
        expect(rows).toHaveLength(8 + 2 + 8 * 4 + 4 + 4 + 1);
        expect(describeMismatches(rows)).toBe("");
        expect(observed.file.get("cs")).toBe(BigInt(c.selectors.code));
        // TR: the one deviation QEMU has (its cache keeps the pre-busy type); LTR did mark the GDT entry busy.
        expect(rows.find((r) => r.name === "tr_attr")!.deviation).toMatch(/busy/);
        await expectTssBusy(m, STUB + BigInt(X86_32_STUB_GDT_OFFSET), c.selectors.tss);
        await expectSegmentsPlaced(m, plan);
      });
    }, 60_000);
  }
});
