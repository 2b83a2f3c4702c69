import { describe, expect, it } from "vitest";
import { MemoryMap, type Segment } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { PlacementError, Placer, SegmentSet, SegmentSetError, linuxKexecRules } from "@handoff/core/kexec";
import { xenKexecRules } from "@handoff/xen";

const PAGE = 4096n;
const MiB = 1n << 20n;

function seg(mem: bigint, memsz: bigint, bufsz = 0n, name?: string): Segment {
  return { data: { kind: "zero" }, bufsz, mem, memsz, role: "other", name };
}

function rejection(segments: Segment[], rules = linuxKexecRules(PAGE)): SegmentSetError {
  try {
    SegmentSet.validate(segments, rules);
  } catch (e) {
    expect(e).toBeInstanceOf(SegmentSetError);
    return e as SegmentSetError;
  }
  throw new Error("expected a rejection");
}

describe("SegmentSet.validate (Linux sanity_check_segment_list rules)", () => {
  it("accepts a valid set, adjacent segments included (half-open ranges)", () => {
    const set = SegmentSet.validate([seg(0x100000n, 0x1000n, 0x30n), seg(0x101000n, 0x2000n, 0x2000n), seg(0x200000n, 0n)], linuxKexecRules(PAGE));
    expect(set.segments).toHaveLength(3);
  });

  it("start and end page-aligned", () => {
    expect(rejection([seg(0x100800n, 0x1000n)])).toMatchObject({ rule: "alignment", segments: [0] });
    expect(rejection([seg(0x100000n, 0x1800n)])).toMatchObject({ rule: "alignment", segments: [0] });
  });

  it("no wrap past 2^64", () => {
    expect(rejection([seg(0xfffffffffffff000n, 0x2000n)])).toMatchObject({ rule: "wrap", segments: [0] });
  });

  it("bufsz <= memsz", () => {
    expect(rejection([seg(0x1000n, 0x1000n, 0x1000n), seg(0x2000n, 0x1000n, 0x1001n)])).toMatchObject({ rule: "bufsz", segments: [1] });
  });

  it("overlap names both segments, whatever their order", () => {
    const e = rejection([seg(0x400000n, 0x1000n, 0n, "a"), seg(0x100000n, 0x200000n, 0n, "big"), seg(0x300000n, 0x100000n, 0n, "c"), seg(0x1ff000n, 0x2000n, 0n, "d")]);
    expect(e.rule).toBe("overlap");
    expect(e.segments).toEqual([1, 3]);
    expect(e.message).toBe("segment[1] (other big, 0x100000..0x300000) and segment[3] (other d, 0x1ff000..0x201000): the ranges overlap");
    // A segment wholly inside a bigger one that is not its sorted neighbour.
    expect(rejection([seg(0x100000n, 0x100000n), seg(0x110000n, 0x1000n), seg(0x120000n, 0x1000n)]).segments).toEqual([0, 1]);
    // Linux's test also catches an empty segment strictly inside another.
    expect(rejection([seg(0x100000n, 0x2000n), seg(0x101000n, 0n)]).segments).toEqual([0, 1]);
  });

  it("count limit is a parameter: 16 for Linux, 15 for Xen", () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => seg(BigInt(i + 1) * 0x10000n, 0x1000n));
    expect(SegmentSet.validate(sixteen, linuxKexecRules(PAGE)).segments).toHaveLength(16);
    expect(rejection(sixteen, xenKexecRules(PAGE))).toMatchObject({ rule: "count" });
    expect(rejection([...sixteen, seg(0x1000000n, 0x1000n)])).toMatchObject({ rule: "count" });
    expect(SegmentSet.validate([...sixteen, seg(0x1000000n, 0x1000n)], { pageSize: PAGE }).segments).toHaveLength(17);
  });

  it("destination limit: an end at or above it is refused (Linux: mend >= KEXEC_DESTINATION_MEMORY_LIMIT)", () => {
    const rules = linuxKexecRules(PAGE, { destinationLimit: 0x200000n });
    expect(SegmentSet.validate([seg(0x100000n, 0xff000n)], rules).segments).toHaveLength(1);
    expect(rejection([seg(0x100000n, 0x100000n)], rules)).toMatchObject({ rule: "limit" });
  });

  it("inside RAM of a memory map; total memory limit", () => {
    const memoryMap = MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT);
    const rules = linuxKexecRules(PAGE, { memoryMap, maxTotalMemory: 256n * MiB });
    expect(SegmentSet.validate([seg(0x1000n, 0x9e000n), seg(0x100000n, 0x1000000n)], rules).segments).toHaveLength(2);
    expect(rejection([seg(0x9f000n, 0x2000n)], rules)).toMatchObject({ rule: "ram", segments: [0] });
    expect(rejection([seg(0x1ffff000n, 0x2000n)], rules)).toMatchObject({ rule: "ram" });
    expect(rejection([seg(0x100000n, 0x8000000n), seg(0x8200000n, 0x8001000n)], rules)).toMatchObject({ rule: "total", segments: [] });
  });
});

describe("Placer", () => {
  const map = MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT);

  it("top-down below a limit, with alignment; bottom-up from a minimum", () => {
    const p = new Placer(map, PAGE);
    // bzImage initrd_addr_max is inclusive: 0x7fffffff -> maxEnd 0x80000000; RAM ends at 512 MiB first.
    expect(p.place({ label: "initrd", size: 64n * MiB, maxEnd: 0x80000000n, direction: "top-down" })).toBe(0x1c000000n);
    expect(p.place({ label: "x", size: 0x1800n, align: 2n * MiB, maxEnd: 0x1c000000n, direction: "top-down" })).toBe(0x1be00000n);
    expect(p.place({ label: "low", size: 1n, minAddress: 0x100000n })).toBe(0x100000n);
    expect(p.place({ label: "low2", size: 1n, minAddress: 0x100000n })).toBe(0x101000n);
  });

  it("never page 0, never reserved, never an already placed range", () => {
    const p = new Placer(map, PAGE);
    expect(p.place({ label: "a", size: PAGE })).toBe(0x1000n);
    // 0x9f000..0x9fc00 is RAM but not a whole page: the next page-sized hole is at 1 MiB.
    const q = new Placer(map, PAGE);
    q.reserve(0x1000n, 0x9f000n);
    expect(q.place({ label: "b", size: PAGE })).toBe(0x100000n);
    const r = new Placer(map, PAGE);
    expect(() => r.place({ label: "dtb", size: 2n * MiB, maxEnd: 0x100000n })).toThrow(PlacementError);
  });

  it("arm64 virt: DTB within the first 512 MiB of RAM", () => {
    const virt = MemoryMap.fromMachine(2n * 1024n * MiB, { id: "virt", description: "", ramBase: 0x40000000n, fixedRegions: [], splits: [] });
    const p = new Placer(virt, PAGE);
    const dtb = p.place({ label: "dtb", size: 0x10000n, align: 8n, maxEnd: 0x40000000n + 512n * MiB, direction: "top-down" });
    expect(dtb).toBe(0x5fff0000n);
    expect(() => p.place({ label: "x", size: 4n * 1024n * MiB })).toThrow(/no free 0x100000000-byte range/);
  });
});
