import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARM_VIRT_MEMORY_LAYOUT } from "@handoff/arm";
import { MemoryMap, type Image } from "@handoff/core";
import { decodeListEntry, SparseMemory, SegmentSetError, executeIndirectionList, planLoad, rawImageFormat, type LoadPlan } from "@handoff/core/kexec";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { tempDir } from "@handoff/test-support";

const MiB = 1n << 20n;
const x86_64 = { id: "x86_64", pageSize: 4096n, wordBits: 64 as const, endianness: ["little"] as const, elfMachine: 62 };
const arm32 = { id: "arm32", pageSize: 4096n, wordBits: 32 as const, endianness: ["little", "big"] as const, elfMachine: 40 };

/** Bytes of a planned segment, reading file ranges (tests only: the plan itself never reads the initrd). */
function segmentBytes(plan: LoadPlan, i: number): Uint8Array {
  const d = plan.segments[i]!.data;
  if (d.kind === "bytes") return d.bytes;
  if (d.kind === "zero") return new Uint8Array(0);
  return readFileSync(d.path).subarray(d.offset, d.offset + d.length);
}

/** Stage every buffer page where the plan says, write the list, run it, and check every destination. */
function executePlan(plan: LoadPlan): void {
  const r = plan.relocation;
  const ps = r.encoding.pageSize;
  const mem = new SparseMemory(ps);
  plan.segments.forEach((s, i) => {
    const bytes = segmentBytes(plan, i);
    r.staging[i]!.forEach((addr, k) => {
      if (addr !== undefined) mem.writePage(addr, bytes.subarray(k * Number(ps), (k + 1) * Number(ps)));
    });
    // Destinations hold garbage before relocation (the old system's memory).
    for (let a = s.mem; a < s.mem + s.memsz; a += ps) mem.writePage(a, new Uint8Array(Number(ps)).fill(0xee));
  });
  for (const lp of r.listPages) mem.writePage(lp.address, lp.bytes);
  const result = executeIndirectionList(mem, r.head, { ...r.encoding, maxSteps: r.entries.length, strict: true, allowZero: true });
  expect(result.steps).toBe(r.entries.length);
  plan.segments.forEach((s, i) => {
    const expected = new Uint8Array(Number(s.memsz));
    expected.set(segmentBytes(plan, i));
    expect(Buffer.compare(Buffer.from(mem.read(s.mem, Number(s.memsz))), Buffer.from(expected))).toBe(0);
  });
}

function image(segments: Image["segments"], metadata: Record<string, unknown> = {}): Image {
  return { format: "test", arch: "x86_64", entry: { phys: segments[0]?.mem ?? 0n }, segments, metadata, source: { path: "gen", size: 0 } };
}

describe("planLoad", () => {
  it("an x86_64-shaped kernel with a 64 MiB initrd in 512 MiB: validated segments, initrd on top below initrd_addr_max", () => {
    const kernel = { data: { kind: "file" as const, path: "/k", offset: 0x4400, length: 0xd82200 }, bufsz: 0xd82200n, mem: 0x1000000n, memsz: 0x3378000n, role: "kernel" as const };
    const plan = planLoad({
      arch: x86_64,
      image: image([kernel], { initrd_addr_max: 0x7fffffffn }),
      memoryMap: MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT),
      initrd: { path: "/initrd", size: 64 * 1024 * 1024 },
      cmdline: "console=ttyS0",
    });
    expect(plan.segments.map((s) => [s.role, s.mem, s.memsz])).toEqual([
      ["kernel", 0x1000000n, 0x3378000n],
      ["initrd", 0x1c000000n, 0x4000000n],
      ["cmdline", 0x1bfff000n, 0x1000n],
    ]);
    expect(plan.segmentSet.segments).toHaveLength(3);
    expect(plan.kexecFlags).toBe(0x3e0000n);
    const r = plan.relocation;
    // Buffer pages: kernel 0xd83 (0xd82200 rounded up), initrd 0x4000, cmdline 1; the kernel's BSS tail comes from one zero page.
    const kernelTail = Number((0x3378000n - 0xd83000n) / 4096n);
    expect(r.counts.source).toBe(0xd83 + 0x4000 + 1 + kernelTail);
    expect(r.counts.zero).toBe(0);
    expect(r.zeroSource).toBeDefined();
    // 511 entries + 1 link per list page.
    expect(r.listPages.length).toBe(Math.ceil((r.entries.length - 1) / 511));
    // Every staged source is outside every destination.
    const onDestination = r.entries.filter((e) => {
      const { kind, address: a } = decodeListEntry(e, 0x1000n);
      return kind === "SOURCE" && plan.segments.some((s) => a >= s.mem && a < s.mem + s.memsz);
    });
    expect(onDestination).toEqual([]);
  });

  it("with useZero the BSS becomes ZERO entries", () => {
    const plan = planLoad({
      arch: x86_64,
      image: image([{ data: { kind: "bytes", bytes: new Uint8Array(10) }, bufsz: 10n, mem: 0x100000n, memsz: 0x10000n, role: "kernel" }]),
      memoryMap: MemoryMap.fromMachine(16n * MiB, PC_MEMORY_LAYOUT),
      useZero: true,
    });
    expect(plan.relocation.counts).toMatchObject({ source: 1, zero: 15 });
  });

  it("end to end: the relocation list really moves a raw kernel, initrd file and cmdline into place (arm32, 4-byte words)", () => {
    const dir = tempDir("handoff-plan-");
    const kernelPath = join(dir, "kernel.bin");
    const initrdPath = join(dir, "initrd.img");
    const kernelBytes = Uint8Array.from({ length: 3 * 4096 + 77 }, (_, i) => (i * 31 + 7) & 0xff);
    const initrdBytes = Uint8Array.from({ length: 5 * 4096 + 1 }, (_, i) => (i * 17 + 3) & 0xff);
    writeFileSync(kernelPath, kernelBytes);
    writeFileSync(initrdPath, initrdBytes);
    const img = rawImageFormat({ loadAddress: 0x40008000n, memsz: 0x10000n, arch: "arm32" }).parse({ path: kernelPath, bytes: kernelBytes });
    const plan = planLoad({
      arch: arm32,
      image: img,
      memoryMap: MemoryMap.fromMachine(64n * MiB, ARM_VIRT_MEMORY_LAYOUT),
      initrd: { path: initrdPath, size: initrdBytes.length },
      cmdline: "console=ttyAMA0 root=/dev/ram0",
      initrdMaxEnd: 0x42000000n,
    });
    expect(plan.relocation.encoding.wordBytes).toBe(4);
    expect(plan.segments[1]).toMatchObject({ role: "initrd", mem: 0x41ffa000n });
    executePlan(plan);
  });

  it("refuses an image segment outside RAM, naming it", () => {
    const bad = image([{ data: { kind: "zero" }, bufsz: 0n, mem: 0x9f000n, memsz: 0x2000n, role: "kernel", name: "PT_LOAD[0]" }]);
    expect(() => planLoad({ arch: x86_64, image: bad, memoryMap: MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT) })).toThrow(SegmentSetError);
    expect(() => planLoad({ arch: x86_64, image: bad, memoryMap: MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT) })).toThrow(/segment\[0\] \(kernel PT_LOAD\[0\]/);
    const unaligned = image([{ data: { kind: "zero" }, bufsz: 0n, mem: 0x100800n, memsz: 0x1000n, role: "kernel" }]);
    expect(() => planLoad({ arch: x86_64, image: unaligned, memoryMap: MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT) })).toThrow(/not 0x1000-aligned/);
  });

  it("places a relocatable image (Image.placement) at an aligned base, or at the base given", () => {
    const rel: Image = {
      ...image([{ data: { kind: "zero" }, bufsz: 0n, mem: 0x0n, memsz: 0x1aa0000n, role: "kernel" }]),
      placement: { kind: "relocatable", base: 0n, alignment: 0x200000n },
      arch: "arm64",
      entry: { phys: 0n },
    };
    const map = MemoryMap.fromMachine(1024n * MiB, ARM_VIRT_MEMORY_LAYOUT);
    const arm64 = { ...x86_64, id: "arm64", elfMachine: 183 };
    const auto = planLoad({ arch: arm64, image: rel, memoryMap: map, initrd: { path: "/i", size: 0x100000 } });
    expect([auto.imageBase, auto.entry, auto.segments[0]!.mem]).toEqual([0x40000000n, 0x40000000n, 0x40000000n]);
    expect(auto.segments[1]!.mem).toBe(0x7ff00000n);
    const given = planLoad({ arch: arm64, image: rel, memoryMap: map, imageBase: 0x48000000n });
    expect([given.entry, given.segments[0]!.mem]).toEqual([0x48000000n, 0x48000000n]);
    expect(() => planLoad({ arch: arm64, image: rel, memoryMap: map, imageBase: 0x48001000n })).toThrow(/not 0x200000-aligned/);
    const fixed = image([{ data: { kind: "zero" }, bufsz: 0n, mem: 0x100000n, memsz: 0x1000n, role: "kernel" }]);
    expect(() => planLoad({ arch: x86_64, image: fixed, memoryMap: MemoryMap.fromMachine(16n * MiB, PC_MEMORY_LAYOUT), imageBase: 0x200000n })).toThrow(/fixed addresses/);
  });

  it("an initrd that does not fit below its limit is a placement error", () => {
    const img = image([{ data: { kind: "zero" }, bufsz: 0n, mem: 0x100000n, memsz: 0x1000n, role: "kernel" }]);
    expect(() =>
      planLoad({ arch: x86_64, image: img, memoryMap: MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT), initrd: { path: "/i", size: 600 * 1024 * 1024 } }),
    ).toThrow(/cannot place initrd/);
  });
});
