import { arm32KexecEntry, buildArm32Stub, ARM32_HANDOFF_STUB } from "@handoff/arm32";
import { arm64KexecEntry, buildArm64Stub, ARM64_HANDOFF_STUB } from "@handoff/arm64";
import { buildX86_32Stub, pvhEntry, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET } from "@handoff/x86_32";
import { withQemu } from "@handoff/qemu";
import { BOOT_SELECTORS, buildHandoffGdt } from "@handoff/x86";
import { buildX86_64Stub, identityMap1GiB, kexec64Entry, X86_64_HANDOFF_STUB, X86_64_STUB_GDT_OFFSET } from "@handoff/x86_64";
import { describe, expect, it } from "vitest";
import { INDIRECTION, blobFiles, pvhProbeFile } from "@handoff/test-support/probe-kit";
import { ARCHS } from "@handoff/test-support/archs";
import { requireTool } from "@handoff/test-support";

/** A list page whose only entry is an INDIRECTION to itself: a walker without a bound never ends. */
function selfLoop(at: bigint, word: 4 | 8 = 8): Uint8Array {
  const page = new Uint8Array(4096);
  if (word === 8) new DataView(page.buffer).setBigUint64(0, at | INDIRECTION, true);
  else new DataView(page.buffer).setUint32(0, Number(at | INDIRECTION), true);
  return page;
}

/** Boots `launch` and expects the stub to give up at `failPc` (hd_fail) instead of ever reaching `entry`. */
async function expectStopsAtFail(launch: Parameters<typeof withQemu>[0], entry: bigint, failPc: bigint): Promise<void> {
  await withQemu({ ...launch, lifetimeMs: 30_000 }, async (m) => {
    await expect(m.waitForPc(entry, ARCHS[launch.arch as keyof typeof ARCHS], 20_000, { failPc, failReason: "list walk bound" })).rejects.toThrow(/list walk bound/);
  });
}

const ARM_LIST = 0x41010000n;
const ARM_STUB = 0x41000000n;
const ARM_ENTRY = 0x40400000n;
const X86_LIST = 0x110000n;
const X86_STUB = 0x100000n;
const X86_ENTRY = 0x400000n;

/** Both Arm widths: the stub, built for a kexec entry, and the list word it walks. */
const ARM_CASES = [
  { arch: "arm64", qemu: "qemu-system-aarch64", word: 8, stub: () => buildArm64Stub(arm64KexecEntry({ dtb: 0x40000000n, entry: ARM_ENTRY }), { head: ARM_LIST | INDIRECTION, maxSteps: 1000n }), fail: ARM64_HANDOFF_STUB.symbols.hd_fail },
  { arch: "arm32", qemu: "qemu-system-arm", word: 4, stub: () => buildArm32Stub(arm32KexecEntry({ dtb: 0x40000000n, entry: ARM_ENTRY }), { head: ARM_LIST | INDIRECTION, maxSteps: 1000n }), fail: ARM32_HANDOFF_STUB.symbols.hd_fail },
] as const;

describe("stubs bound their list walk: a self-referencing list ends in hd_fail, never at the entry", () => {
  for (const c of ARM_CASES) {
    it.skipIf(!requireTool(c.qemu))(c.arch, async () => {
      const blobs = blobFiles([{ addr: ARM_LIST, bytes: selfLoop(ARM_LIST, c.word), what: "list" }, { addr: ARM_STUB, bytes: c.stub().bytes, what: "stub" }]);
      await expectStopsAtFail({ arch: c.arch, blobs, entry: ARM_STUB }, ARM_ENTRY, ARM_STUB + BigInt(c.fail));
    }, 60_000);
  }

  it.skipIf(!requireTool("qemu-system-x86_64"))("x86_64", async () => {
    const gdt = buildHandoffGdt(BOOT_SELECTORS, true);
    const tables = identityMap1GiB(0x120000n);
    const state = kexec64Entry({ gdt, gdtBase: X86_STUB + BigInt(X86_64_STUB_GDT_OFFSET), cr3: tables.cr3, entry: X86_ENTRY, rsp: 0n });
    const stub = buildX86_64Stub(state, { head: X86_LIST | INDIRECTION, maxSteps: 1000n }, gdt);
    const file = pvhProbeFile(64, X86_STUB, [{ paddr: X86_STUB, bytes: stub.bytes }, { paddr: X86_LIST, bytes: selfLoop(X86_LIST) }, { paddr: 0x120000n, bytes: tables.bytes }]);
    await expectStopsAtFail({ arch: "x86_64", kernel: file }, X86_ENTRY, X86_STUB + BigInt(X86_64_HANDOFF_STUB.symbols.hd_fail));
  }, 60_000);

  it.skipIf(!requireTool("qemu-system-i386"))("x86_32", async () => {
    const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
    const state = pvhEntry({ gdt, gdtBase: X86_STUB + BigInt(X86_32_STUB_GDT_OFFSET), startInfo: 0n, entry: X86_ENTRY });
    const stub = buildX86_32Stub(state, { head: X86_LIST | INDIRECTION, maxSteps: 1000n }, gdt);
    const file = pvhProbeFile(32, X86_STUB, [{ paddr: X86_STUB, bytes: stub.bytes }, { paddr: X86_LIST, bytes: selfLoop(X86_LIST, 4) }]);
    await expectStopsAtFail({ arch: "x86_32", kernel: file }, X86_ENTRY, X86_STUB + BigInt(X86_32_HANDOFF_STUB.symbols.hd_fail));
  }, 60_000);
});
