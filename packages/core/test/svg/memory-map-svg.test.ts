import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryMap, ValidationError, hex } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { planLoad, rawImageFormat } from "@handoff/core/kexec";
import { MAX_PICTURE_REGIONS, formatSize, pictureOfPlan, renderMemoryMapSvg, type MemoryPicture } from "@handoff/core/svg";
import { byClass, readSvg, type SvgElement } from "@handoff/test-support/read-svg";

const KiB = 1n << 10n;
const MiB = 1n << 20n;
const GiB = 1n << 30n;

const num = (e: SvgElement, a: string) => Number(e.attrs[a]);
const big = (e: SvgElement, a: string) => BigInt(e.attrs[a]!);

/** A plan on a 512 MiB PC with a kernel at 16 MiB, an initrd high, a command line and the list page. */
function realPlan() {
  const bytes = new Uint8Array(0x123456).fill(0x90);
  const image = rawImageFormat({ loadAddress: 16n * MiB, arch: "x86_64" }).parse({ path: "/k/vmlinux.bin", bytes });
  const memoryMap = MemoryMap.fromMachine(512n * MiB, PC_MEMORY_LAYOUT);
  const plan = planLoad({
    arch: { id: "x86_64", pageSize: 4096n, wordBits: 64, endianness: ["little"], elfMachine: 62 },
    image,
    memoryMap,
    initrd: { path: "/k/initrd.img", size: 3 * 1024 * 1024 + 5 },
    cmdline: "console=ttyS0",
  });
  return { plan, memoryMap };
}

describe("renderMemoryMapSvg on a real plan", () => {
  const { plan, memoryMap } = realPlan();
  const picture = pictureOfPlan(plan, memoryMap);
  const svg = readSvg(renderMemoryMapSvg(picture));
  const regions = byClass(svg, "region");

  it("draws one rectangle and one label per region: the segments, the list page and the staging runs", () => {
    expect(picture.regions.map((r) => r.role)).toEqual(expect.arrayContaining(["kernel", "initrd", "cmdline", "indirection-list", "staging"]));
    expect(regions).toHaveLength(picture.regions.length);
    expect(byClass(svg, "label")).toHaveLength(picture.regions.length);
    for (const s of plan.segments) {
      const rect = regions.find((r) => big(r, "data-start") === s.mem);
      expect(rect?.attrs["data-role"]).toBe(s.role);
      expect(big(rect!, "data-end")).toBe(s.mem + s.memsz);
      // The label names the role, the range and the size in words.
      const label = byClass(svg, "label").find((l) => l.attrs["data-index"] === rect!.attrs["data-index"])!;
      expect(label.text).toContain(s.role);
      expect(label.text).toContain(`${hex(s.mem)}–${hex(s.mem + s.memsz)}`);
      expect(label.text).toContain(formatSize(s.memsz));
    }
  });

  it("cuts the large free stretches out (broken axis) and keeps the regions to scale", () => {
    const gaps = byClass(svg, "gap");
    expect(gaps.length).toBeGreaterThan(0);
    const largest = picture.regions.reduce((m, r) => (r.size > m ? r.size : m), 0n);
    for (const g of gaps) {
      const [start, end] = [big(g, "data-start"), big(g, "data-end")];
      expect(end - start).toBeGreaterThan(largest);
      // Nothing placed is hidden in a cut.
      expect(picture.regions.some((r) => r.start < end && start < r.start + r.size)).toBe(false);
      expect(g.text).toContain(formatSize(end - start));
    }
    // The stretch between the kernel's end and the initrd (hundreds of MiB) is one of the cuts.
    const kernel = plan.segments.find((s) => s.role === "kernel")!;
    expect(gaps.some((g) => big(g, "data-start") === kernel.mem + kernel.memsz)).toBe(true);
    // To scale: kernel and initrd heights are in the ratio of their sizes.
    const initrd = plan.segments.find((s) => s.role === "initrd")!;
    const h = (mem: bigint) => num(regions.find((r) => big(r, "data-start") === mem)!, "height");
    const drawn = h(kernel.mem) / h(initrd.mem);
    const real = Number(kernel.memsz) / Number(initrd.memsz);
    expect(Math.abs(drawn / real - 1)).toBeLessThan(0.02);
    // Too small to see at that scale (the 4 KiB command line): drawn at the least height, still there.
    const cmdline = plan.segments.find((s) => s.role === "cmdline")!;
    expect(h(cmdline.mem)).toBeGreaterThanOrEqual(12);
    expect(h(cmdline.mem)).toBeLessThan(h(kernel.mem));
    // High addresses at the top: the initrd (higher) is drawn above the kernel.
    expect(num(regions.find((r) => big(r, "data-start") === initrd.mem)!, "y")).toBeLessThan(num(regions.find((r) => big(r, "data-start") === kernel.mem)!, "y"));
  });

  it("draws the memory map behind: RAM and the PC's reserved hole below 1 MiB", () => {
    const memory = byClass(svg, "memory");
    expect(memory.map((m) => m.attrs["data-type"])).toEqual(memoryMap.ranges.map((r) => r.type));
    expect(memory.some((m) => m.attrs["data-type"] === "reserved")).toBe(true);
    expect(byClass(svg, "overlap")).toHaveLength(0);
  });
});

describe("renderMemoryMapSvg on chosen pictures", () => {
  it("marks an overlap in red with its exact range and both roles", () => {
    const svg = readSvg(
      renderMemoryMapSvg({
        title: "overlap",
        regions: [
          { start: 16n * MiB, size: 8n * MiB, role: "kernel" },
          { start: 20n * MiB, size: 8n * MiB, role: "initrd" },
          { start: 64n * MiB, size: 4n * KiB, role: "cmdline" },
        ],
      }),
    );
    const overlaps = byClass(svg, "overlap");
    expect(overlaps).toHaveLength(1);
    expect([big(overlaps[0]!, "data-start"), big(overlaps[0]!, "data-end")]).toEqual([20n * MiB, 24n * MiB]);
    const label = byClass(svg, "overlap-label")[0]!;
    expect(label.text).toContain("OVERLAP: kernel × initrd");
    expect(label.text).toContain("4 MiB");
  });

  it("shows page-table coverage, firmware ranges and holes without RAM", () => {
    const svg = readSvg(
      renderMemoryMapSvg({
        title: "coverage",
        regions: [{ start: 1n * MiB, size: 2n * MiB, role: "kernel" }, { start: 8n * MiB, size: 24n * KiB, role: "page-tables" }],
        memory: [
          { start: 0n, size: 0x9fc00n, type: "ram" },
          { start: 0xf0000n, size: 0x10000n, type: "reserved" },
          { start: 1n * MiB, size: 126n * MiB, type: "ram" },
          { start: 127n * MiB, size: 1n * MiB, type: "acpi" },
          { start: 4n * GiB - 16n * MiB, size: 16n * MiB, type: "reserved" },
        ],
        coverage: [{ start: 1n * MiB, size: 2n * MiB }, { start: 8n * MiB, size: 24n * KiB }],
      }),
    );
    expect(byClass(svg, "coverage").map((c) => [big(c, "data-start"), big(c, "data-end")])).toEqual([
      [1n * MiB, 3n * MiB],
      [8n * MiB, 8n * MiB + 24n * KiB],
    ]);
    expect(byClass(svg, "memory").map((m) => m.attrs["data-type"])).toEqual(["ram", "reserved", "ram", "acpi", "reserved"]);
    // The ~3.8 GiB without memory between the ACPI tables and the top reserved range is cut and named.
    const hole = byClass(svg, "gap").find((g) => big(g, "data-start") === 128n * MiB)!;
    expect(hole.text).toContain("no memory");
    expect(byClass(svg, "memory-label").some((l) => l.text.startsWith("acpi"))).toBe(true);
  });

  it("escapes names: a hostile label stays text", () => {
    const text = renderMemoryMapSvg({ title: "<script>alert(1)</script>", regions: [{ start: 0x1000n, size: 0x1000n, role: "kernel", name: `"><script>x</script>&` }] });
    const svg = readSvg(text);
    expect(text).not.toContain("<script");
    expect(byClass(svg, "label")[0]!.text).toContain(`"><script>x</script>&`);
  });

  it("refuses empty, wrapping and too many ranges with a ValidationError", () => {
    const one = (start: bigint, size: bigint): MemoryPicture => ({ title: "t", regions: [{ start, size, role: "kernel" }] });
    expect(() => renderMemoryMapSvg(one(0x1000n, 0n))).toThrow(ValidationError);
    expect(() => renderMemoryMapSvg(one(0xffff_ffff_ffff_f000n, 0x2000n))).toThrow(/2\^64|wrap|overflow/i);
    const many = Array.from({ length: MAX_PICTURE_REGIONS + 1 }, (_, i) => ({ start: BigInt(i) * 0x1000n, size: 0x1000n, role: "staging" }));
    expect(() => renderMemoryMapSvg({ title: "t", regions: many })).toThrow(ValidationError);
  });

  it("property: well-formed, one rectangle per region, higher addresses drawn higher, nothing placed inside a cut", () => {
    const region = fc.record({
      start: fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((v) => v & ~0xfffn),
      size: fc.bigInt({ min: 1n, max: 1n << 34n }),
      role: fc.constantFrom("kernel", "initrd", "dtb", "cmdline", "page-tables", "mystery"),
    });
    fc.assert(
      fc.property(fc.array(region, { minLength: 1, maxLength: 24 }), (regions) => {
        const svg = readSvg(renderMemoryMapSvg({ title: "p", regions }));
        const rects = byClass(svg, "region");
        expect(rects).toHaveLength(regions.length);
        const sorted = [...rects].sort((a, b) => (big(a, "data-start") < big(b, "data-start") ? -1 : 1));
        for (let i = 1; i < sorted.length; i++) {
          const [lo, hi] = [sorted[i - 1]!, sorted[i]!];
          // The bottom edge (start) of a higher region is at or above the lower one's.
          if (big(hi, "data-start") > big(lo, "data-start")) expect(num(hi, "y") + num(hi, "height")).toBeLessThan(num(lo, "y") + num(lo, "height") + 1e-6);
        }
        for (const g of byClass(svg, "gap")) {
          const [s, e] = [big(g, "data-start"), big(g, "data-end")];
          expect(regions.some((r) => r.start < e && s < r.start + r.size)).toBe(false);
        }
      }),
      { numRuns: 150, verbose: true },
    );
  });

  it("formatSize: binary units, whole or one decimal", () => {
    expect([formatSize(512n), formatSize(4n * KiB), formatSize(0x2_8000n), formatSize(3n * MiB + 5n), formatSize(1536n * MiB)]).toEqual(["512 B", "4 KiB", "160 KiB", "3 MiB", "1.5 GiB"]);
  });
});
