import { describe, expect, it } from "vitest";
import { FormatError, MemoryMap, ValidationError } from "@handoff/core";
import { XEN_ELF_IMAGE_FORMAT } from "@handoff/xen";
import { fixtureKernel, readFixture } from "@handoff/test-support";
import {
  E820Type,
  PVH_LINUX_LAYOUT,
  buildPvhStartInfo,
  decodePvhStartInfo,
  findRsdp,
  pcLowMemory,
  pcMemoryMap,
  planPvhLinux,
  pvhKernelElf,
  writePvhElf,
  XEN_HVM_START_MAGIC_VALUE,
} from "@handoff/x86";

const X86_64 = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
const X86_32_PAE = fixtureKernel("x86_32-bzImage-6.1.0-57-686-pae");
const X86_32_686 = fixtureKernel("x86_32-bzImage-6.1.0-50-686");
const MIB = 0x10_0000n;
const GIB = 0x4000_0000n;

describe("hvm_start_info (start_info.h version 1)", () => {
  const memmap = pcMemoryMap(512n * MIB).ranges;
  const built = buildPvhStartInfo({ base: 0x1f_0000n, cmdline: "console=ttyS0 a=b", modules: [{ paddr: 0x700_0000n, size: 0x1234n, cmdline: "initrd-arg" }], memmap, rsdpPaddr: 0xf_59d0n });

  it("lays out every field at its start_info.h offset, module and memmap entries at their sizes", () => {
    const v = new DataView(built.bytes.buffer);
    expect(v.getUint32(0, true)).toBe(XEN_HVM_START_MAGIC_VALUE);
    expect(v.getUint32(4, true)).toBe(1);
    expect(v.getUint32(12, true)).toBe(1);
    expect(v.getBigUint64(16, true)).toBe(0x1f_0040n);
    expect(v.getBigUint64(24, true)).toBe(0x1f_1000n);
    expect(v.getBigUint64(32, true)).toBe(0xf_59d0n);
    expect(v.getBigUint64(40, true)).toBe(0x1f_0100n);
    expect(v.getUint32(48, true)).toBe(memmap.length);
    // modlist[0]: paddr, size, cmdline_paddr (after the kernel's NUL-terminated command line)
    expect(v.getBigUint64(0x40, true)).toBe(0x700_0000n);
    expect(v.getBigUint64(0x48, true)).toBe(0x1234n);
    expect(v.getBigUint64(0x50, true)).toBe(0x1f_1000n + BigInt("console=ttyS0 a=b".length + 1));
    // memmap[4]: SeaBIOS's high tables, reserved (e820 type 2) at 24-byte stride
    expect(v.getBigUint64(0x100 + 4 * 24, true)).toBe(512n * MIB - 0x2_0000n);
    expect(v.getUint32(0x100 + 4 * 24 + 16, true)).toBe(E820Type.RESERVED);
  });

  it("reads back exactly what was built", () => {
    expect(decodePvhStartInfo(built.bytes, 0x1f_0000n)).toEqual(built.fields);
    expect(built.fields.modlist[0]!.cmdline).toBe("initrd-arg");
  });

  it("refuses hostile start info with a FormatError naming the field", () => {
    const bad = (patch: (v: DataView) => void, field: string) => {
      const b = built.bytes.slice();
      patch(new DataView(b.buffer));
      let error: unknown;
      try {
        decodePvhStartInfo(b, 0x1f_0000n);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).message).toContain(field);
    };
    bad((v) => v.setUint32(0, 0xdeadbeef, true), "magic");
    bad((v) => v.setUint32(4, 0, true), "version");
    bad((v) => v.setUint32(48, 0xffff_ffff, true), "memmap_paddr");
    bad((v) => v.setUint32(12, 0x1000_0000, true), "modlist_paddr");
    bad((v) => v.setBigUint64(24, 0xffff_ffff_ffff_f000n, true), "cmdline_paddr");
    bad((v) => new Uint8Array(v.buffer).fill(0x41, 0x1000), "cmdline_paddr");
    expect(() => decodePvhStartInfo(built.bytes.subarray(0, 40), 0x1f_0000n)).toThrow(FormatError);
  });

  it("refuses what does not fit: too many entries, command lines over their page, a NUL", () => {
    expect(() => buildPvhStartInfo({ base: 0x1f_0000n, cmdline: "", modules: [], memmap: Array.from({ length: 200 }, (_, i) => ({ start: BigInt(i) << 20n, size: MIB, type: "ram" as const })), rsdpPaddr: 0n })).toThrow(ValidationError);
    expect(() => buildPvhStartInfo({ base: 0x1f_0000n, cmdline: "x".repeat(5000), modules: [], memmap: [], rsdpPaddr: 0n })).toThrow(/page/);
    expect(() => buildPvhStartInfo({ base: 0x1f_0000n, cmdline: "a\0b", modules: [], memmap: [], rsdpPaddr: 0n })).toThrow(/NUL/);
    expect(() => buildPvhStartInfo({ base: 0x1f_0800n, cmdline: "", modules: [], memmap: [], rsdpPaddr: 0n })).toThrow(/page/);
  });
});

describe("QEMU pc memory: the split around the PCI hole (pc_piix.c)", () => {
  it("keeps everything below 4 GiB under 3.5 GiB and splits at 3 GiB from 3.5 GiB up", () => {
    expect(pcLowMemory(512n * MIB)).toBe(512n * MIB);
    expect(pcLowMemory(0xdfff_f000n)).toBe(0xdfff_f000n);
    expect(pcLowMemory(0xe000_0000n)).toBe(3n * GIB);
    const map = pcMemoryMap(6n * GIB);
    const ram = map.ram();
    expect(ram.map((r) => [r.start, r.start + r.size])).toEqual([
      [0n, 0x9_fc00n],
      [MIB, 3n * GIB - 0x2_0000n],
      [4n * GIB, 7n * GIB],
    ]);
    expect(ram.reduce((n, r) => n + r.size, 0n) + 0x2_0000n + 0x400n + (MIB - 0x9_fc00n - 0x400n)).toBe(6n * GIB);
  });
});

describe.skipIf(!X86_64)("handoff as the PVH loader: planning the real vmlinux", () => {
  // Inflating a payload (xz for the 686 kernels) is the slow part: once per kernel.
  const vmlinux = new Map<string, Uint8Array>();
  const elfOf = (kernel: string) => vmlinux.get(kernel) ?? vmlinux.set(kernel, pvhKernelElf(readFixture(kernel), kernel).bytes).get(kernel)!;
  const plan = (kernel: string, arch: "x86_64" | "x86_32", ram = 512n * MIB, initrd = new Uint8Array(0x2345).fill(7)) =>
    planPvhLinux({ arch, kernel: elfOf(kernel), kernelPath: kernel, initrd, cmdline: "console=ttyS0", memoryMap: pcMemoryMap(ram), layout: PVH_LINUX_LAYOUT });

  it("places each PT_LOAD at its p_paddr (PADDR_OFFSET forced to 0) and enters at PHYS32_ENTRY", () => {
    const p = plan(X86_64!, "x86_64");
    const elf = XEN_ELF_IMAGE_FORMAT.parse({ path: X86_64!, bytes: elfOf(X86_64!) });
    expect(p.entry).toBe(0x100_0850n);
    expect(p.entry).toBe(elf.entry.phys);
    const kernel = p.segments.filter((s) => s.role === "kernel");
    expect(kernel.map((s) => s.mem)).toEqual(elf.segments.map((s) => s.mem));
    expect((elf.metadata.xen as Record<string, unknown>).PADDR_OFFSET).not.toBe(undefined);
  });

  it("hands over the initrd as module 0 and the memory map as the memmap; no planned byte is outside RAM", () => {
    for (const ram of [512n * MIB, 6n * GIB]) {
      const p = plan(X86_64!, "x86_64", ram);
      const map = pcMemoryMap(ram);
      const initrd = p.segments.find((s) => s.role === "initrd")!;
      expect(p.startInfo.nr_modules).toBe(1);
      expect(p.startInfo.modlist[0]).toMatchObject({ paddr: initrd.mem, size: 0x2345n });
      expect(p.startInfo.memmap).toEqual(map.ranges.map((r) => ({ addr: r.start, size: r.size, type: expect.any(Number), reserved: 0 })));
      for (const s of p.segments) {
        expect(map.covers(s.mem, s.mem + s.memsz), `${s.name} is RAM`).toBe(true);
        for (const r of map.ranges.filter((m) => m.type !== "ram")) expect(s.mem + s.memsz <= r.start || r.start + r.size <= s.mem, `${s.name} clear of ${r.type} ${r.start}`).toBe(true);
      }
    }
  });

  it.skipIf(!X86_32_PAE)("plans the 686-pae vmlinux; refuses the 686 one (no PVH entry) and the wrong width", () => {
    expect(plan(X86_32_PAE!, "x86_32").entry).toBeGreaterThan(0x100_0000n);
    expect(() => plan(X86_32_686!, "x86_32")).toThrow(/PHYS32_ENTRY/);
    expect(() => plan(X86_32_PAE!, "x86_64")).toThrow(/x86_32 ELF, not x86_64/);
  }, 180_000);

  it("refuses a PVH ELF whose PT_LOAD lies over SeaBIOS's ACPI tables, or above 4 GiB", () => {
    const over = (paddr: bigint, elfClass: 32 | 64 = 64) => writePvhElf({ elfClass, entry32: 0x20_0000n, loads: [{ paddr: 0x20_0000n, bytes: new Uint8Array(16) }, { paddr, bytes: new Uint8Array(0x1000) }] });
    const planElf = (bytes: Uint8Array, ram = 512n * MIB) => planPvhLinux({ arch: "x86_64", kernel: bytes, kernelPath: "k.elf", cmdline: "", memoryMap: pcMemoryMap(ram), layout: PVH_LINUX_LAYOUT });
    expect(planElf(over(0x300_0000n)).segments).toHaveLength(3);
    expect(() => planElf(over(512n * MIB - 0x1_0000n))).toThrow(/not RAM/);
    expect(() => planElf(over(0x1_0000_0000n), 6n * GIB)).toThrow(/below 4 GiB/);
    expect(() => planElf(over(0x10_0000n))).toThrow(/loader's own pages/);
  });
});

describe("finding the RSDP", () => {
  it("takes the first 16-byte aligned 'RSD PTR ' whose checksum holds", () => {
    const bios = new Uint8Array(0x2_0000);
    const put = (at: number, good: boolean) => {
      bios.set(new TextEncoder().encode("RSD PTR "), at);
      new DataView(bios.buffer).setUint32(at + 16, 0x1ffe_1ad8, true);
      const sum = bios.subarray(at, at + 20).reduce((s, x) => s + x, 0);
      bios[at + 8] = good ? (0x100 - ((sum - bios[at + 8]!) & 0xff)) & 0xff : 1;
    };
    put(0x100, false);
    put(0xf_59d0 - 0xe_0000, true);
    expect(findRsdp(bios)).toMatchObject({ addr: 0xf_59d0n, revision: 0, rsdt: 0x1ffe_1ad8n, length: 20 });
    expect(findRsdp(new Uint8Array(0x2_0000))).toBeUndefined();
  });
});

// A memory map that is not the PC's still works: the planner takes any map.
describe("planner inputs", () => {
  it("a memory map without RAM at the kernel's addresses is refused", () => {
    if (!X86_64) return;
    const tiny = MemoryMap.of([{ start: 0n, size: 0x800_0000n, type: "ram" }]);
    const kernel = pvhKernelElf(readFixture(X86_64), X86_64).bytes;
    expect(() => planPvhLinux({ arch: "x86_64", kernel, kernelPath: X86_64, cmdline: "", memoryMap: MemoryMap.of([{ start: 0n, size: 0x200_0000n, type: "ram" }]), layout: PVH_LINUX_LAYOUT })).toThrow(/not RAM/);
    expect(planPvhLinux({ arch: "x86_64", kernel, kernelPath: X86_64, cmdline: "", memoryMap: tiny, layout: PVH_LINUX_LAYOUT }).startInfo.memmap_entries).toBe(1);
  });
});
