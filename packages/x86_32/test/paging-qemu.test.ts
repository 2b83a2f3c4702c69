/**
 * QEMU's x86 MMU judges the 32-bit paging formats: a multiboot stub loads
 * CR3/CR4(/EFER)/CR0 from the build and spins; `gva2gpa` must agree with the
 * walker and the mappings for every probe address.
 */
import { describe, expect, it } from "vitest";
import type { Mapping } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { X86_32_2LEVEL, X86_32_PAE } from "@handoff/x86_32";
import { X86_CODE, x86MmuRig, x86ToolsAvailable } from "@handoff/test-support/x86-mmu-oracle";
import { probeAddresses } from "@handoff/test-support/qemu-oracle";
import { expectCpuNeverSpins, expectCpuRunsTables } from "@handoff/test-support/mmu-rig";

const available = x86ToolsAvailable();
const KIB4 = 0x1000n;
const rw = { writable: true, executable: false, memoryType: "normal" } as const;

function mappings(format: PageTableFormat, codeExecutable: boolean): Mapping[] {
  const large = format.pageSizes[format.pageSizes.length - 1]!;
  return [
    { va: X86_CODE, pa: X86_CODE, size: KIB4, attributes: { writable: false, executable: codeExecutable, memoryType: "normal" } },
    { va: 0xfee0_0000n, pa: 0xfee0_0000n, size: KIB4, attributes: { writable: true, executable: false, memoryType: "device" } },
    { va: 0xc000_0000n, pa: 0x4000_0000n, size: 2n * large, attributes: rw }, // large pages
    { va: 0x4000_0000n, pa: 0x6000_0000n + KIB4, size: large + 3n * KIB4, attributes: rw }, // misaligned PA: 4 KiB pages
    ...(format === X86_32_PAE ? [{ va: 0x8000_0000n, pa: 0x1_2000_0000n, size: large, attributes: rw }] : []), // PA above 4 GiB
  ];
}

const rig = x86MmuRig();

describe.skipIf(!available)("x86_32 tables on QEMU's MMU (gva2gpa)", () => {
  for (const format of [X86_32_2LEVEL, X86_32_PAE]) {
    it(`${format.id}: the CPU turns paging on, reaches its spin loop and translates like the walker`, async () => {
      const ms = mappings(format, true);
      await expectCpuRunsTables(rig, format, ms, probeAddresses(ms, [0n, 0x1000_0000n, 0xffff_f000n]), { minTranslated: 12 });
    }, 60_000);
  }

  it("x86_32-pae: with XD on the code page the CPU never reaches its spin loop", async () => {
    // The fetch from the XD page faults with no IDT to take it: triple fault, VM stopped.
    await expectCpuNeverSpins(rig, X86_32_PAE, mappings(X86_32_PAE, false), async (boot) => expect(await boot.qemu.status()).not.toBe("running"));
  }, 60_000);
});
