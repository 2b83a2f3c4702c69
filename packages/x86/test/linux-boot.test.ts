import { MemoryMap, ValidationError } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { BootParams, SEABIOS_HIGH_TABLES, X86_LINUX_INITRD_CEILING, parseBzImage, pcMemoryMap, planX86Linux } from "../src/index.js";
import { fixtureKernel, readFixture } from "@handoff/test-support";

const X86_64 = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
const X86_32 = fixtureKernel("x86_32-bzImage-6.1.0-50-686");
const MIB = 0x10_0000n;
const RAM = 512n * MIB;
const keepOut = [{ start: MIB, end: 0x1f_0000n }];

describe.skipIf(!X86_64)("planX86Linux on the real x86_64 bzImage", () => {
  const kernel = readFixture(X86_64!);
  const { info } = parseBzImage({ path: X86_64!, bytes: kernel });
  const initrd = new Uint8Array(3 * 4096 + 5).fill(0x5a);
  const base = { kernel, kernelPath: X86_64!, initrd, cmdline: "console=ttyS0 quiet", memoryMap: pcMemoryMap(RAM), bootData: 0x1f_0000n, keepOut, initrdCeiling: X86_LINUX_INITRD_CEILING, entry64: true };

  it("loads at pref_address, enters at +0x200 and fills boot_params from the kernel's own header", () => {
    const plan = planX86Linux(base);
    expect(plan.load).toBe(info.header.prefAddress);
    expect(plan.entry64).toBe(plan.load + 0x200n);
    expect(plan.kernelRoom).toBeGreaterThanOrEqual(BigInt(info.header.initSize));
    const d = BootParams.decode(plan.bootParamsPage);
    expect(d.header.fields.type_of_loader).toBe(0xff);
    expect(d.cmdLinePtr).toBe(plan.cmdline);
    expect(d.ramdiskImage).toBe(plan.initrd!.addr);
    expect(d.ramdiskSize).toBe(BigInt(initrd.length));
    // High but under the ceiling, page-aligned, clear of the kernel's init_size room.
    expect(d.ramdiskImage + d.ramdiskSize).toBeLessThanOrEqual(X86_LINUX_INITRD_CEILING);
    expect(d.ramdiskImage % 0x1000n).toBe(0n);
    expect(d.ramdiskImage >= plan.load + plan.kernelRoom || d.ramdiskImage + d.ramdiskSize <= plan.load).toBe(true);
    expect(d.e820.map((e) => [e.addr, e.size, e.type])).toEqual(pcMemoryMap(RAM).ranges.map((r) => [r.start, r.size, r.type === "ram" ? 1 : 2]));
    expect(d.e820.find((e) => e.addr === RAM - SEABIOS_HIGH_TABLES)).toEqual({ addr: RAM - SEABIOS_HIGH_TABLES, size: SEABIOS_HIGH_TABLES, type: 2 });
    // The segments carry the protected-mode kernel, boot_params, the NUL-terminated cmdline and the initrd.
    const [k, bp, cl, rd] = plan.segments;
    expect(k!.mem).toBe(plan.load);
    expect(k!.bufsz).toBe(BigInt(info.kernelFileSize));
    expect(bp!.mem).toBe(0x1f_0000n);
    expect(new TextDecoder().decode((cl!.data as { bytes: Uint8Array }).bytes)).toBe("console=ttyS0 quiet\0");
    expect(rd!.mem).toBe(plan.initrd!.addr);
  });

  it("moves a relocatable kernel to an aligned address when pref_address is taken", () => {
    const pref = info.header.prefAddress;
    const plan = planX86Linux({ ...base, keepOut: [...keepOut, { start: pref, end: pref + 0x1000n }] });
    const align = BigInt(info.header.fields.kernel_alignment as number);
    expect(plan.load).not.toBe(pref);
    expect(plan.load % align).toBe(0n);
    expect(plan.load >= pref + 0x1000n || plan.load + plan.kernelRoom <= pref).toBe(true);
  });

  it("refuses a command line longer than cmdline_size, a NUL in it, and memory too small for init_size", () => {
    expect(() => planX86Linux({ ...base, cmdline: "x".repeat(info.header.cmdlineSize + 1) })).toThrow(ValidationError);
    expect(() => planX86Linux({ ...base, cmdline: "a\0b" })).toThrow(/NUL/);
    expect(() => planX86Linux({ ...base, memoryMap: MemoryMap.of([{ start: 0n, size: 8n * MIB, type: "ram" }]) })).toThrow(/init_size|load address/);
    expect(() => planX86Linux({ ...base, initrdCeiling: 0x10_2000n })).toThrow(/initrd/);
  });

  it("refuses the 32-bit entry for a 64-bit kernel", () => {
    expect(() => planX86Linux({ ...base, entry64: false })).toThrow(/64-bit entry/);
  });
});

describe.skipIf(!X86_32)("planX86Linux on the real x86_32 bzImage", () => {
  const kernel = readFixture(X86_32!);
  it("enters at code32_start = the load address and refuses a 64-bit entry", () => {
    const plan = planX86Linux({ kernel, kernelPath: X86_32!, cmdline: "console=ttyS0", memoryMap: pcMemoryMap(RAM), bootData: 0x1f_0000n, keepOut, entry64: false });
    expect(plan.entry32).toBe(plan.load);
    expect(BootParams.decode(plan.bootParamsPage).header.fields.code32_start).toBe(Number(plan.load));
    expect(plan.initrd).toBeUndefined();
    expect(() => planX86Linux({ kernel, kernelPath: X86_32!, cmdline: "", memoryMap: pcMemoryMap(RAM), bootData: 0x1f_0000n, keepOut, entry64: true })).toThrow(/XLF_KERNEL_64/);
  });
});
