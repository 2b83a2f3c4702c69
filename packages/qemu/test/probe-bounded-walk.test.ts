import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { arm32KexecEntry, buildArm32Stub, ARM32_HANDOFF_STUB } from "@handoff/arm32";
import { arm64KexecEntry, buildArm64Stub, ARM64_HANDOFF_STUB } from "@handoff/arm64";
import { buildX86_32Stub, pvhEntry, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET } from "@handoff/x86_32";
import { withQemu } from "@handoff/qemu";
import { BOOT_SELECTORS, buildHandoffGdt, writePvhElf } from "@handoff/x86";
import { buildX86_64Stub, identityMap1GiB, kexec64Entry, X86_64_HANDOFF_STUB, X86_64_STUB_GDT_OFFSET } from "@handoff/x86_64";
import { describe, expect, it } from "vitest";
import { INDIRECTION, blobFiles } from "@handoff/test-support/probe-kit";
import { ARCHS } from "@handoff/test-support/archs";
import { requireTool, tempDir } from "@handoff/test-support";

/** A list page whose only entry is an INDIRECTION to itself: a walker without a bound never ends. */
function selfLoop(at: bigint, word: 4 | 8 = 8): Uint8Array {
  const page = new Uint8Array(4096);
  if (word === 8) new DataView(page.buffer).setBigUint64(0, at | INDIRECTION, true);
  else new DataView(page.buffer).setUint32(0, Number(at | INDIRECTION), true);
  return page;
}

describe("stubs bound their list walk: a self-referencing list ends in hd_fail, never at the entry", () => {
  it.skipIf(!requireTool("qemu-system-aarch64"))("arm64", async () => {
    const LIST = 0x41010000n;
    const STUB = 0x41000000n;
    const stub = buildArm64Stub(arm64KexecEntry({ dtb: 0x40000000n, entry: 0x40400000n }), { head: LIST | INDIRECTION, maxSteps: 1000n });
    const blobs = blobFiles([{ addr: LIST, bytes: selfLoop(LIST), what: "list" }, { addr: STUB, bytes: stub.bytes, what: "stub" }]);
    await withQemu({ arch: "arm64", blobs, entry: STUB, lifetimeMs: 30_000 }, async (m) => {
      await expect(m.waitForPc(0x40400000n, ARCHS.arm64, 20_000, { failPc: STUB + BigInt(ARM64_HANDOFF_STUB.symbols.hd_fail), failReason: "list walk bound" })).rejects.toThrow(/list walk bound/);
    });
  }, 60_000);

  it.skipIf(!requireTool("qemu-system-x86_64"))("x86_64", async () => {
    const LIST = 0x110000n;
    const STUB = 0x100000n;
    const gdt = buildHandoffGdt(BOOT_SELECTORS, true);
    const tables = identityMap1GiB(0x120000n);
    const state = kexec64Entry({ gdt, gdtBase: STUB + BigInt(X86_64_STUB_GDT_OFFSET), cr3: tables.cr3, entry: 0x400000n, rsp: 0n });
    const stub = buildX86_64Stub(state, { head: LIST | INDIRECTION, maxSteps: 1000n }, gdt);
    const elf = writePvhElf({ elfClass: 64, entry32: STUB, loads: [{ paddr: STUB, bytes: stub.bytes }, { paddr: LIST, bytes: selfLoop(LIST) }, { paddr: 0x120000n, bytes: tables.bytes }] });
    const file = join(tempDir("handoff-loop-"), "loop.elf");
    writeFileSync(file, elf);
    await withQemu({ arch: "x86_64", kernel: file, lifetimeMs: 30_000 }, async (m) => {
      await expect(m.waitForPc(0x400000n, ARCHS.x86_64, 20_000, { failPc: STUB + BigInt(X86_64_HANDOFF_STUB.symbols.hd_fail), failReason: "list walk bound" })).rejects.toThrow(/list walk bound/);
    });
  }, 60_000);

  it.skipIf(!requireTool("qemu-system-arm"))("arm32", async () => {
    const LIST = 0x41010000n;
    const STUB = 0x41000000n;
    const stub = buildArm32Stub(arm32KexecEntry({ dtb: 0x40000000n, entry: 0x40400000n }), { head: LIST | INDIRECTION, maxSteps: 1000n });
    const blobs = blobFiles([{ addr: LIST, bytes: selfLoop(LIST, 4), what: "list" }, { addr: STUB, bytes: stub.bytes, what: "stub" }]);
    await withQemu({ arch: "arm32", blobs, entry: STUB, lifetimeMs: 30_000 }, async (m) => {
      await expect(m.waitForPc(0x40400000n, ARCHS.arm32, 20_000, { failPc: STUB + BigInt(ARM32_HANDOFF_STUB.symbols.hd_fail), failReason: "list walk bound" })).rejects.toThrow(/list walk bound/);
    });
  }, 60_000);

  it.skipIf(!requireTool("qemu-system-i386"))("x86_32", async () => {
    const LIST = 0x110000n;
    const STUB = 0x100000n;
    const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
    const state = pvhEntry({ gdt, gdtBase: STUB + BigInt(X86_32_STUB_GDT_OFFSET), startInfo: 0n, entry: 0x400000n });
    const stub = buildX86_32Stub(state, { head: LIST | INDIRECTION, maxSteps: 1000n }, gdt);
    const elf = writePvhElf({ elfClass: 32, entry32: STUB, loads: [{ paddr: STUB, bytes: stub.bytes }, { paddr: LIST, bytes: selfLoop(LIST, 4) }] });
    const file = join(tempDir("handoff-loop-"), "loop32.elf");
    writeFileSync(file, elf);
    await withQemu({ arch: "x86_32", kernel: file, lifetimeMs: 30_000 }, async (m) => {
      await expect(m.waitForPc(0x400000n, ARCHS.x86_32, 20_000, { failPc: STUB + BigInt(X86_32_HANDOFF_STUB.symbols.hd_fail), failReason: "list walk bound" })).rejects.toThrow(/list walk bound/);
    });
  }, 60_000);
});
