/**
 * Property-test harness shared by every page-table format's tests (imported by
 * relative path from the arch packages' tests; it is test code, not package API).
 *
 * It generates random mapping sets for a format, builds tables, walks them with
 * the format's walker, and compares the table count with a minimum computed
 * here, top-down, independently of the builder's greedy chunking.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { verifyPageTableBuild, type Mapping, type MappingAttributes, type WalkResult } from "@handoff/core/paging";
import { type PageTableFormat } from "@handoff/core";

export interface HarnessOptions {
  /** Highest VA index (exclusive) to place mappings below; defaults to min(2^vaBits, 2^40). */
  readonly vaLimit?: bigint;
  /** Highest PA (exclusive); defaults to min(2^physicalAddressBits, 2^40). */
  readonly paLimit?: bigint;
  /** VA index -> real VA (x86-64 upper half: sign extension). */
  readonly vaFromIndex?: (index: bigint) => bigint;
  readonly numRuns?: number;
  readonly tableBase?: bigint;
}

interface Effective {
  va: bigint; // index space
  pa: bigint;
  size: bigint;
  attributes: Required<MappingAttributes>;
}

/** Minimum tables per level for `mappings`, decided entry by entry from the root down. */
export function minimalTablesPerLevel(format: PageTableFormat, mappings: readonly Mapping[], indexOf: (va: bigint) => bigint = (v) => v): bigint[] {
  return minimalLayout(format, mappings, indexOf).tables;
}

/**
 * Minimum tables per level, and the leaves by size when every leaf is as large as
 * alignment allows (replicated leaves such as 16 MiB supersections counted once).
 */
export function minimalLayout(format: PageTableFormat, mappings: readonly Mapping[], indexOf: (va: bigint) => bigint = (v) => v): { tables: bigint[]; leaves: { pageSize: bigint; count: bigint }[] } {
  const levels = format.geometry.levels;
  const exec = (a: MappingAttributes) => (format.capabilities.noExecute ? a.executable : true);
  const sorted: Effective[] = mappings
    .map((m) => ({ va: indexOf(m.va), pa: m.pa, size: m.size, attributes: { writable: m.attributes.writable, executable: exec(m.attributes), user: m.attributes.user === true, memoryType: m.attributes.memoryType } }))
    .sort((a, b) => (a.va < b.va ? -1 : 1));
  // Join runs that continue each other with the same attributes: a leaf may span them.
  const runs: Effective[] = [];
  for (const m of sorted) {
    const last = runs[runs.length - 1];
    const same = last && JSON.stringify(last.attributes) === JSON.stringify(m.attributes);
    if (last && same && last.va + last.size === m.va && last.pa + last.size === m.pa) last.size += m.size;
    else runs.push({ ...m });
  }
  const counts = levels.map(() => 0n);
  const leafEntries = new Map<bigint, bigint>(); // leaf size -> entries used
  const visit = (level: number, start: bigint) => {
    counts[level]!++;
    const g = levels[level]!;
    const entrySize = 1n << BigInt(g.shift);
    const end = start + entrySize * BigInt(g.entries);
    const touched = new Set<bigint>();
    for (const r of runs) {
      const lo = r.va > start ? r.va : start;
      const hi = r.va + r.size < end ? r.va + r.size : end;
      for (let e = (lo - start) / entrySize; start + e * entrySize < hi; e++) touched.add(e);
    }
    for (const e of [...touched].sort((a, b) => (a < b ? -1 : 1))) {
      const blockStart = start + e * entrySize;
      const blockEnd = blockStart + entrySize;
      const canLeaf =
        g.leafSizes.includes(entrySize) &&
        runs.some((r) => r.va <= blockStart && blockEnd <= r.va + r.size && (r.pa + (blockStart - r.va)) % entrySize === 0n);
      if (!canLeaf) {
        visit(level + 1, blockStart);
        continue;
      }
      // The largest leaf whose aligned block around this entry is wholly inside one run, PA-aligned.
      const size = [...g.leafSizes].sort((a, b) => (a > b ? -1 : 1)).find((sz) => {
        const s0 = blockStart - (blockStart % sz);
        return runs.some((r) => r.va <= s0 && s0 + sz <= r.va + r.size && (r.pa + (s0 - r.va)) % sz === 0n);
      })!;
      leafEntries.set(size, (leafEntries.get(size) ?? 0n) + 1n);
    }
  };
  visit(0, 0n);
  const leaves = [...leafEntries.entries()]
    .sort((a, b) => (a[0] > b[0] ? -1 : 1))
    .map(([pageSize, entries]) => {
      const level = levels.find((l) => l.leafSizes.includes(pageSize))!;
      return { pageSize, count: entries / (pageSize >> BigInt(level.shift)) };
    });
  return { tables: counts, leaves };
}

/** A random, non-overlapping mapping set for `format` (sorted by VA, PAs non-overlapping). */
export function mappingSets(format: PageTableFormat, options: HarnessOptions = {}): fc.Arbitrary<Mapping[]> {
  const sizes = [...format.pageSizes].sort((a, b) => (a < b ? -1 : 1));
  const granule = sizes[0]!;
  const cap = 1n << 40n;
  const vaSpace = 1n << BigInt(format.geometry.vaBits);
  const vaLimit = options.vaLimit ?? (vaSpace < cap ? vaSpace : cap);
  const paSpace = 1n << BigInt(format.capabilities.physicalAddressBits);
  const paLimit = options.paLimit ?? (paSpace < cap ? paSpace : cap);
  const vaFromIndex = options.vaFromIndex ?? ((i: bigint) => i);
  const one = fc.record({
    unit: fc.integer({ min: 0, max: sizes.length - 1 }),
    units: fc.integer({ min: 0, max: 3 }),
    extraPages: fc.integer({ min: 0, max: 5 }),
    vaGapUnits: fc.integer({ min: 0, max: 3 }),
    vaGapPages: fc.integer({ min: 0, max: 3 }),
    paGapPages: fc.integer({ min: 0, max: 3 }),
    paAlignToUnit: fc.boolean(),
    writable: fc.boolean(),
    executable: fc.boolean(),
    user: fc.boolean(),
    device: fc.boolean(),
    /** Continue the previous mapping seamlessly (same attributes): the builder must merge across the seam. */
    continues: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  });
  return fc.record({ startUnits: fc.integer({ min: 0, max: 4 }), startPages: fc.integer({ min: 1, max: 4 }), items: fc.array(one, { minLength: 1, maxLength: 6 }) }).map(({ startUnits, startPages, items }) => {
    const out: Mapping[] = [];
    const topUnit = sizes[sizes.length - 1]!;
    let va = BigInt(startUnits) * topUnit + BigInt(startPages) * granule;
    let pa = granule;
    for (const it of items) {
      const unit = sizes[it.unit]!;
      const prev = out[out.length - 1];
      if (it.continues && prev) {
        // The run keeps the previous mapping's VA-PA offset, so leaves can be no larger
        // than that offset's alignment allows: cap the unit at one page size above it
        // (as the misaligned branch below does), or a 512 GiB continuation of a 4 KiB-offset
        // run needs hundreds of MiB of tables.
        const offset = va - pa;
        const alignedIndex = sizes.reduce((best, s, i) => (offset % s === 0n ? i : best), 0);
        const cappedUnit = sizes[Math.min(it.unit, alignedIndex + 1)]!;
        const size = BigInt(it.units) * cappedUnit + BigInt(it.extraPages) * granule;
        if (size === 0n || va + size > vaLimit || pa + size > paLimit) continue;
        out.push({ va: vaFromIndex(va), pa, size, attributes: prev.attributes });
        va += size;
        pa += size;
        continue;
      }
      // Start of this mapping: past a gap, then (usually) aligned to its unit.
      va += BigInt(it.vaGapUnits) * unit + BigInt(it.vaGapPages) * granule;
      va = ((va + unit - 1n) / unit) * unit + (it.vaGapPages === 3 ? (sizes[it.unit - 1] ?? granule) : 0n);
      pa += BigInt(it.paGapPages) * granule;
      // Misaligned PAs drop one page size only, so the walk and the reference count stay small.
      const paAlign = it.paAlignToUnit ? unit : sizes[it.unit - 1] ?? granule;
      pa = ((pa + paAlign - 1n) / paAlign) * paAlign;
      const size = BigInt(it.units) * unit + BigInt(it.extraPages) * granule;
      if (size === 0n) continue;
      if (va + size > vaLimit || pa + size > paLimit) break;
      const device = it.device;
      const attributes: MappingAttributes = { writable: it.writable, executable: device ? false : it.executable, user: it.user, memoryType: device ? "device" : "normal" };
      out.push({ va: vaFromIndex(va), pa, size, attributes });
      va += size;
      pa += size;
    }
    return out;
  });
}

function describe(r: WalkResult): string {
  return r.kind === "fault" ? `fault(${r.fault})` : `pa 0x${r.pa.toString(16)}`;
}

/**
 * For random mapping sets: every sampled mapped page translates to the intended
 * address, permissions and memory type; neighbours, page 0 and random probes
 * fault; the table count per level equals the independently computed minimum.
 */
export function checkFormatProperties(format: PageTableFormat, options: HarnessOptions = {}): void {
  const tableBase = options.tableBase ?? 0x10_0000n;
  const indexOf = options.vaFromIndex ? (va: bigint) => indexFromVa(format, va) : (va: bigint) => va;
  fc.assert(
    fc.property(mappingSets(format, options), fc.array(fc.bigInt({ min: 0n, max: (1n << BigInt(Math.min(format.geometry.vaBits, 48))) - 1n }), { maxLength: 8 }), (mappings, probes) => {
      const build = format.build(mappings, { tableBase });
      const problems = verifyPageTableBuild(format, build, mappings, { samplesPerMapping: 3, probes: probes.map(options.vaFromIndex ?? ((x) => x)) });
      expect(problems, problems.map((p) => `va 0x${p.va.toString(16)}: want ${p.expected}, got ${p.found}`).join("\n")).toEqual([]);
      expect(format.walk(build.memory(), build.registers, 0n).kind).toBe("fault");
      const layout = minimalLayout(format, mappings, indexOf);
      const minimum = layout.tables;
      expect(build.tablesPerLevel).toEqual(minimum);
      expect(build.leaves).toEqual(layout.leaves);
      expect(build.tables).toBe(minimum.reduce((a, b) => a + b, 0n));
      // The largest page fits where alignment allows: check each mapping's first page size.
      for (const m of build.mappings) {
        const r = format.walk(build.memory(), build.registers, m.va);
        expect(r.kind, describe(r)).toBe("translation");
      }
    }),
    { numRuns: options.numRuns ?? 150 },
  );
}

function indexFromVa(format: PageTableFormat, va: bigint): bigint {
  const bits = BigInt(format.geometry.vaBits);
  return va & ((1n << bits) - 1n);
}
