import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IND_DESTINATION, IND_DONE, IND_INDIRECTION, IND_SOURCE, IND_ZERO, IndirectionListError, decodeListEntry, SparseMemory, buildIndirectionList, executeIndirectionList, readListWord, type IndirectionPlan, type ListEncoding, type RelocationSegment } from "@handoff/core/kexec";

/** Byte equality without the cost of a deep-equality diff per page. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Deterministic bytes from a seed (xorshift32), so shrinking stays reproducible. */
function bytesFrom(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

interface Scenario {
  readonly encoding: ListEncoding;
  readonly useZero: boolean;
  readonly segments: readonly (RelocationSegment & { readonly data: Uint8Array })[];
  /** Pages (in page units) that exist: [1, universe) plus the free pool above. */
  readonly universe: number;
  readonly freeFrom: number;
  readonly freeTo: number;
}

/** Pages of memory a scenario covers, for "nothing else changed" checks. */
function allPages(s: Scenario): bigint[] {
  const out: bigint[] = [];
  for (let p = 0; p < s.freeTo; p++) out.push(BigInt(p) * s.encoding.pageSize);
  return out;
}

/**
 * Random segment sets whose staging pages land anywhere: on their own
 * destination (in place), shifted onto their own or other segments'
 * destinations (must go through swap pages), in free memory, or left to the
 * builder. Segment order is shuffled (adversarial orders).
 */
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    // Small pages keep thousands of cases fast and make lists span many list pages; 4 KiB now and then.
    pageSize: fc.oneof({ arbitrary: fc.constantFrom(32n, 64n, 128n, 256n), weight: 7 }, { arbitrary: fc.constant(4096n), weight: 1 }),
    wordBytes: fc.constantFrom(4 as const, 8 as const),
    endianness: fc.constantFrom("little" as const, "big" as const),
    useZero: fc.boolean(),
    layout: fc.noBias(fc.array(
      fc.record({
        // noBias: fast-check's default bias towards small values would make most
        // buffers empty and staging rarely collide with destinations.
        gap: fc.noBias(fc.integer({ min: 0, max: 3 })),
        pages: fc.noBias(fc.integer({ min: 0, max: 6 })),
        bufFraction: fc.noBias(fc.integer({ min: 0, max: 100 })).map((n) => n / 100),
        staging: fc.oneof(
          fc.constant<"in-place">("in-place"),
          fc.constant<"builder">("builder"),
          fc.noBias(fc.integer({ min: 1, max: 60 })),
          fc.noBias(fc.integer({ min: 1, max: 60 })),
        ),
        zeroPages: fc.boolean(),
        seed: fc.integer({ min: 1, max: 0x7fffffff }),
      }),
      { minLength: 0, maxLength: 6 },
    )),
    order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  })
  .map(({ pageSize, wordBytes, endianness, useZero, layout, order }) => {
    const segments: (RelocationSegment & { data: Uint8Array })[] = [];
    let cursor = 1;
    const usedStaging: [number, number][] = [];
    for (const l of layout) {
      cursor += l.gap;
      const mem = BigInt(cursor) * pageSize;
      const memsz = BigInt(l.pages) * pageSize;
      const bufsz = BigInt(Math.floor(Number(memsz) * l.bufFraction));
      cursor += l.pages;
      const bufPages = Math.ceil(Number(bufsz) / Number(pageSize));
      let staging: bigint | undefined;
      if (l.staging === "in-place") staging = mem;
      else if (typeof l.staging === "number") staging = BigInt(l.staging) * pageSize;
      if (staging !== undefined && bufPages > 0) {
        const s = Number(staging / pageSize);
        // Staging ranges of two segments may not overlap each other (one buffer each); fall back to the builder.
        if (usedStaging.some(([a, b]) => s < b && a < s + bufPages)) staging = undefined;
        else usedStaging.push([s, s + bufPages]);
      }
      const data = bytesFrom(l.seed, Number(bufsz));
      // Make some whole buffer pages zero so ZERO detection inside bufsz is exercised.
      if (l.zeroPages) data.fill(0, 0, Math.min(data.length, Number(pageSize)));
      const isZeroPage = (k: number) => {
        const from = k * Number(pageSize);
        const to = Math.min(data.length, from + Number(pageSize));
        for (let i = from; i < to; i++) if (data[i] !== 0) return false;
        return true;
      };
      segments.push({ mem, memsz, bufsz, staging, data, isZeroPage, label: `s${segments.length}` });
    }
    // Adversarial order: a random permutation of the segments.
    const shuffled = [...segments];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = (order[i] ?? 0) % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const universe = Math.max(cursor, 62) + 8;
    return {
      encoding: { pageSize, wordBytes, endianness },
      useZero,
      segments: shuffled,
      universe,
      freeFrom: 1,
      freeTo: universe + 48,
    };
  });

/** Memory as the loader leaves it: background pattern everywhere, staged data, list pages. */
function loadMemory(s: Scenario, plan: IndirectionPlan): SparseMemory {
  const ps = s.encoding.pageSize;
  const mem = new SparseMemory(ps);
  // Background: every page a distinct pattern, so any stray write shows.
  for (const page of allPages(s)) {
    const bg = new Uint8Array(Number(ps)).fill(0xa5 ^ Number((page / ps) & 0xffn));
    new DataView(bg.buffer).setUint32(0, Number(page / ps));
    mem.writePage(page, bg);
  }
  s.segments.forEach((seg, si) => {
    plan.staging[si]!.forEach((addr, k) => {
      if (addr === undefined) return;
      const from = k * Number(ps);
      mem.writePage(addr, seg.data.subarray(from, Math.min(seg.data.length, from + Number(ps))));
    });
  });
  if (plan.zeroSource !== undefined) mem.writePage(plan.zeroSource, new Uint8Array(Number(ps)));
  for (const lp of plan.listPages) mem.writePage(lp.address, lp.bytes);
  return mem;
}

function build(s: Scenario): IndirectionPlan {
  const ps = s.encoding.pageSize;
  return buildIndirectionList(s.segments, {
    ...s.encoding,
    useZero: s.useZero,
    free: [{ start: BigInt(s.freeFrom) * ps, end: BigInt(s.freeTo) * ps }],
  });
}

describe("indirection list builder + reference interpreter (property)", () => {
  it("every destination holds exactly its bytes (zero past bufsz) and nothing else changes", () => {
    let runs = 0;
    let swapsSeen = 0;
    let inPlaceSeen = 0;
    let indirectionsSeen = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const plan = build(s);
        const ps = s.encoding.pageSize;
        runs++;
        if (plan.swaps.length > 0) swapsSeen++;
        if (plan.counts.inPlace > 0) inPlaceSeen++;
        if (plan.counts.indirection > 0) indirectionsSeen++;
        const mem = loadMemory(s, plan);
        const before = mem.clone();
        const result = executeIndirectionList(mem, plan.head, {
          ...s.encoding,
          maxSteps: plan.entries.length + 1,
          allowZero: s.useZero,
          strict: true,
        });
        if (result.steps !== plan.entries.length) throw new Error(`${result.steps} steps for ${plan.entries.length} entries`);
        const destPages = new Set<bigint>();
        for (const seg of s.segments) {
          for (let k = 0n; k < seg.memsz / ps; k++) destPages.add(seg.mem + k * ps);
          const expected = new Uint8Array(Number(seg.memsz));
          expected.set(seg.data);
          if (!sameBytes(mem.read(seg.mem, Number(seg.memsz)), expected)) throw new Error(`destination of ${seg.label} differs`);
        }
        for (const page of allPages(s)) {
          if (!destPages.has(page) && !sameBytes(mem.readPage(page), before.readPage(page))) throw new Error(`page ${page.toString(16)} changed`);
        }
        // No empty words, no SOURCE/ZERO for a page that is already in place.
        for (const e of plan.entries) {
          const d = decodeListEntry(e, ps);
          if (d.kind === undefined) throw new Error(`no entry emitted: ${d.problem}`);
          if (!s.useZero && d.kind === "ZERO") throw new Error("ZERO emitted without useZero");
          // A source page is its own destination (then it has no entry) or no one's.
          if (d.kind === "SOURCE" && destPages.has(d.address)) throw new Error(`source ${e.toString(16)} is a destination`);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1500) },
    );
    // The generator must actually reach the interesting cases.
    // The generator must actually reach the interesting cases, in a good share of the runs.
    console.info(`indirection property: ${runs} cases, ${swapsSeen} with swap pages, ${inPlaceSeen} with in-place pages, ${indirectionsSeen} spanning list pages`);
    expect(swapsSeen).toBeGreaterThan(runs / 10);
    expect(inPlaceSeen).toBeGreaterThan(runs / 10);
    expect(indirectionsSeen).toBeGreaterThan(runs / 10);
  });

  it("without swap pages the same layouts corrupt data: the swap logic is what makes them safe", () => {
    // Segment 0 is staged on segment 1's destination and segment 1 is copied first.
    const ps = 64n;
    const a = bytesFrom(1, 64);
    const b = bytesFrom(2, 64);
    const mem = new SparseMemory(ps);
    mem.writePage(0x400n, a); // staging of A, which is also B's destination
    mem.writePage(0x800n, b); // staging of B
    const naive = [0x400n | IND_DESTINATION, 0x800n | IND_SOURCE, 0x100n | IND_DESTINATION, 0x400n | IND_SOURCE, IND_DONE];
    const list = new Uint8Array(64);
    const view = new DataView(list.buffer);
    naive.forEach((e, i) => view.setBigUint64(i * 8, e, true));
    mem.writePage(0xc00n, list);
    const lenient = mem.clone();
    executeIndirectionList(lenient, 0xc00n, { pageSize: ps, wordBytes: 8, endianness: "little", maxSteps: 10 });
    expect(lenient.readPage(0x100n)).toEqual(b); // A's destination got B: corrupted
    expect(() => executeIndirectionList(mem, 0xc00n, { pageSize: ps, wordBytes: 8, endianness: "little", maxSteps: 10, strict: true })).toThrow(/overwritten/);

    const plan = buildIndirectionList(
      [
        { mem: 0x400n, memsz: ps, bufsz: ps, staging: 0x800n },
        { mem: 0x100n, memsz: ps, bufsz: ps, staging: 0x400n },
      ],
      { pageSize: ps, wordBytes: 8, endianness: "little", free: [{ start: 0x1000n, end: 0x2000n }] },
    );
    expect(plan.swaps).toEqual([{ segment: 1, page: 0, from: 0x400n, to: 0x1000n }]);
  });

  it("rejects, never loops on, a list with any one word corrupted", () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (s, which, value) => {
        const plan = build(s);
        const mem = loadMemory(s, plan);
        const perPage = Number(s.encoding.pageSize) / s.encoding.wordBytes;
        const slot = which % (plan.listPages.length * perPage);
        const lp = plan.listPages[Math.floor(slot / perPage)]!;
        const bytes = mem.readPage(lp.address);
        const v = s.encoding.wordBytes === 4 ? value & 0xffffffffn : value;
        const view = new DataView(bytes.buffer);
        if (s.encoding.wordBytes === 8) view.setBigUint64((slot % perPage) * 8, v, s.encoding.endianness === "little");
        else view.setUint32((slot % perPage) * 4, Number(v), s.encoding.endianness === "little");
        mem.writePage(lp.address, bytes);
        try {
          executeIndirectionList(mem, plan.head, { ...s.encoding, maxSteps: plan.entries.length + 64, allowZero: s.useZero });
        } catch (e) {
          if (!(e instanceof IndirectionListError)) throw e;
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) },
    );
  });

  it("terminates on arbitrary garbage list pages", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 0x3ffn }), { minLength: 1, maxLength: 64 }), (words) => {
        const ps = 64n;
        const mem = new SparseMemory(ps);
        // Eight words per page; pages 1..8 hold the garbage.
        words.forEach((w, i) => {
          const bytes = mem.readPage(BigInt(1 + Math.floor(i / 8)) * ps);
          new DataView(bytes.buffer).setBigUint64((i % 8) * 8, w, true);
          mem.writePage(BigInt(1 + Math.floor(i / 8)) * ps, bytes);
        });
        try {
          const r = executeIndirectionList(mem, ps, { pageSize: ps, wordBytes: 8, endianness: "little", maxSteps: 1000, allowZero: true });
          expect(r.steps).toBeLessThanOrEqual(1000);
        } catch (e) {
          expect(e).toBeInstanceOf(IndirectionListError);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) },
    );
  });
});

describe("decodeListEntry: the one reader of IND_* words", () => {
  const flags = [
    [IND_DESTINATION, "DESTINATION"],
    [IND_INDIRECTION, "INDIRECTION"],
    [IND_DONE, "DONE"],
    [IND_SOURCE, "SOURCE"],
    [IND_ZERO, "ZERO"],
  ] as const;

  it("splits every flag from its page address, for any page size and address", () => {
    fc.assert(
      fc.property(fc.constantFrom(...flags), fc.constantFrom(0x1000n, 0x4000n, 0x10000n), fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), ([flag, kind], ps, page) => {
        const address = page * ps;
        expect(decodeListEntry(address | flag, ps)).toEqual({ kind, address });
      }),
    );
  });

  it("names why a word is no entry: zero, no flag, two flags, an unaligned address, an unknown flag", () => {
    const problem = (w: bigint, ps = 0x1000n) => {
      const d = decodeListEntry(w, ps);
      expect(d.kind).toBeUndefined();
      return d.kind === undefined ? d.problem : "";
    };
    expect(problem(0n)).toMatch(/empty entry/);
    expect(problem(0x20000n)).toMatch(/has no flag/);
    expect(problem(0x20000n | IND_DESTINATION | IND_SOURCE)).toMatch(/more than one flag/);
    expect(problem(0x20040n | IND_DESTINATION)).toMatch(/not page-aligned/);
    expect(problem(0x20000n | 0x20n)).toMatch(/flag is unknown/);
    // The same word is valid or not by the page size: 0x2001 is a DESTINATION at 0x2000 with 4 KiB pages, unaligned with 16 KiB ones.
    expect(decodeListEntry(0x2001n, 0x1000n)).toEqual({ kind: "DESTINATION", address: 0x2000n });
    expect(problem(0x2001n, 0x4000n)).toMatch(/not page-aligned/);
  });
});

describe("indirection list: malformed lists", () => {
  const ps = 4096n;
  const enc: ListEncoding = { pageSize: ps, wordBytes: 8, endianness: "little" };
  function run(words: bigint[], options: Partial<{ allowZero: boolean; maxSteps: number; wordBytes: 4 | 8 }> = {}) {
    const mem = new SparseMemory(ps);
    const list = new Uint8Array(Number(ps));
    const view = new DataView(list.buffer);
    const wb = options.wordBytes ?? 8;
    words.forEach((w, i) => (wb === 8 ? view.setBigUint64(i * 8, w, true) : view.setUint32(i * 4, Number(w), true)));
    mem.writePage(0x10000n, list);
    return executeIndirectionList(mem, 0x10000n, { ...enc, wordBytes: wb, maxSteps: options.maxSteps ?? 10_000, allowZero: options.allowZero ?? false });
  }

  it("accepts a well-formed list and copies", () => {
    const r = run([0x20000n | IND_DESTINATION, 0x30000n | IND_SOURCE, 0x31000n | IND_SOURCE, IND_DONE]);
    expect(r).toMatchObject({ steps: 4, copied: 2, written: [0x20000n, 0x21000n] });
  });
  it("self-referencing indirection page", () => {
    expect(() => run([0x10000n | IND_INDIRECTION])).toThrow(/self-referencing/);
  });
  it("indirection loop through two pages", () => {
    const mem = new SparseMemory(ps);
    const p = (link: bigint) => {
      const b = new Uint8Array(Number(ps));
      new DataView(b.buffer).setBigUint64(0, link | IND_INDIRECTION, true);
      return b;
    };
    mem.writePage(0x10000n, p(0x11000n));
    mem.writePage(0x11000n, p(0x10000n));
    expect(() => executeIndirectionList(mem, 0x10000n, { ...enc, maxSteps: 100 })).toThrow(/already walked/);
  });
  it("two flags in one entry", () => {
    expect(() => run([0x20000n | IND_DESTINATION | IND_SOURCE, IND_DONE])).toThrow(/more than one flag/);
  });
  it("unaligned address", () => {
    expect(() => run([0x20040n | IND_DESTINATION, IND_DONE])).toThrow(/not page-aligned/);
  });
  it("missing DONE: page ends / runs into an empty word", () => {
    expect(() => run([0x20000n | IND_DESTINATION, 0x30000n | IND_SOURCE])).toThrow(/empty entry/);
    const full = Array.from({ length: 512 }, () => 0x20000n | IND_DESTINATION);
    expect(() => run(full)).toThrow(/missing DONE/);
  });
  it("source without destination", () => {
    expect(() => run([0x30000n | IND_SOURCE, IND_DONE])).toThrow(/before any DESTINATION/);
  });
  it("ZERO only where supported", () => {
    expect(() => run([0x20000n | IND_DESTINATION, IND_ZERO, IND_DONE])).toThrow(/not supported/);
    expect(run([0x20000n | IND_DESTINATION, IND_ZERO, IND_ZERO, IND_DONE], { allowZero: true })).toMatchObject({ zeroed: 2, written: [0x20000n, 0x21000n] });
    expect(() => run([0x20000n | IND_DESTINATION, 0x20000n | IND_ZERO, IND_DONE], { allowZero: true })).toThrow(/carries an address/);
  });
  it("DONE with an address; step bound", () => {
    expect(() => run([0x20000n | IND_DONE])).toThrow(/carries an address/);
    expect(() => run([0x20000n | IND_DESTINATION, 0x20000n | IND_DESTINATION, IND_DONE], { maxSteps: 2 })).toThrow(/within 2 steps/);
  });
  it("32-bit words", () => {
    expect(run([0x20000n | IND_DESTINATION, 0x30000n | IND_SOURCE, IND_DONE], { wordBytes: 4 }).copied).toBe(1);
  });
});

describe("indirection list builder: packing and encoding", () => {
  it("packs 8-byte little-endian words, links full pages with INDIRECTION in the last slot, ends with DONE", () => {
    const ps = 4096n;
    // 600 source pages: more than one list page of 512 words.
    const plan = buildIndirectionList([{ mem: 0x100000n, memsz: 600n * ps, bufsz: 600n * ps - 5n, staging: 0x1000000n }], {
      pageSize: ps,
      wordBytes: 8,
      endianness: "little",
      free: [{ start: 0x2000000n, end: 0x3000000n }],
    });
    expect(plan.counts).toMatchObject({ destination: 1, source: 600, zero: 0, indirection: 1, inPlace: 0 });
    expect(plan.listPages.map((p) => p.address)).toEqual([0x2000000n, 0x2001000n]);
    const first = plan.listPages[0]!.bytes;
    expect(readListWord(first, 0, plan.encoding)).toBe(0x100000n | IND_DESTINATION);
    expect(readListWord(first, 1, plan.encoding)).toBe(0x1000000n | IND_SOURCE);
    expect(readListWord(first, 511, plan.encoding)).toBe(0x2001000n | IND_INDIRECTION);
    // Byte order: the DESTINATION word 0x100001 little-endian.
    expect([...first.subarray(0, 8)]).toEqual([0x01, 0x00, 0x10, 0, 0, 0, 0, 0]);
    const second = plan.listPages[1]!.bytes;
    // 1 DESTINATION + 600 SOURCE = 601 entries; 511 on page one, 90 on page two, then DONE.
    expect(readListWord(second, 90, plan.encoding)).toBe(IND_DONE);
    expect(readListWord(second, 91, plan.encoding)).toBe(0n);
    expect(plan.headEntry).toBe(0x2000000n | IND_INDIRECTION);
  });

  it("big-endian 4-byte words; 1024 entries per 4 KiB page", () => {
    const plan = buildIndirectionList([{ mem: 0x8000n, memsz: 0x1000n, bufsz: 1n, staging: 0x20000n }], {
      pageSize: 4096n,
      wordBytes: 4,
      endianness: "big",
      free: [{ start: 0x40000n, end: 0x50000n }],
    });
    expect([...plan.listPages[0]!.bytes.subarray(0, 12)]).toEqual([0, 0, 0x80, 0x01, 0, 2, 0, 0x08, 0, 0, 0, 4]);
  });

  it("zero tails: ZERO entries with useZero, else one shared zero source; in-place pages get no entry", () => {
    const ps = 4096n;
    const seg = { mem: 0x10000n, memsz: 4n * ps, bufsz: ps + 1n, staging: 0x10000n };
    const withZero = buildIndirectionList([seg], { pageSize: ps, wordBytes: 8, endianness: "little", useZero: true, free: [{ start: 0x100000n, end: 0x200000n }] });
    expect(withZero.counts).toMatchObject({ inPlace: 2, zero: 2, source: 0 });
    expect(withZero.entries).toEqual([0x12000n | IND_DESTINATION, IND_ZERO, IND_ZERO, IND_DONE]);
    const noZero = buildIndirectionList([seg], { pageSize: ps, wordBytes: 8, endianness: "little", free: [{ start: 0x100000n, end: 0x200000n }] });
    expect(noZero.zeroSource).toBe(0x100000n);
    expect(noZero.entries).toEqual([0x12000n | IND_DESTINATION, 0x100000n | IND_SOURCE, 0x100000n | IND_SOURCE, IND_DONE]);
  });

  it("pages the builder stages itself follow the free ranges in order, across holes, destinations and the 32-bit limit", () => {
    const ps = 4096n;
    // Free: 2 pages, then a hole, then 3 pages of which the middle is the other segment's destination, then 2 pages straddling 4 GiB.
    const free = [
      { start: 0x10000n, end: 0x12000n },
      { start: 0x20000n, end: 0x23000n },
      { start: 0xffffe000n, end: 0x1_0000_2000n },
    ];
    const segments = [
      { mem: 0x21000n, memsz: ps, bufsz: 10n },
      { mem: 0x40000n, memsz: 4n * ps, bufsz: 3n * ps + 1n },
    ];
    const plan = buildIndirectionList(segments, { pageSize: ps, wordBytes: 4, endianness: "little", free });
    expect(plan.staging).toEqual([[0x10000n], [0x11000n, 0x20000n, 0x22000n, 0xffffe000n]]);
    expect(plan.entries).toEqual([0x21000n | IND_DESTINATION, 0x10000n | IND_SOURCE, 0x40000n | IND_DESTINATION, ...plan.staging[1]!.map((p) => p! | IND_SOURCE), IND_DONE]);
    // The list page is the last free page below 4 GiB.
    expect(plan.head).toBe(0xfffff000n);
    expect(() => buildIndirectionList(segments, { pageSize: ps, wordBytes: 4, endianness: "little", free: free.slice(0, 2) })).toThrow(/no free page left for staging of segment 1/);
    // Past 4 GiB with 4-byte words: refused as not addressable, not skipped.
    expect(() => buildIndirectionList([{ mem: 0x40000n, memsz: 8n * ps, bufsz: 8n * ps }], { pageSize: ps, wordBytes: 4, endianness: "little", free: [{ start: 0xffffe000n, end: 0x1_0000_8000n }] })).toThrow(/addressable by the list's word size/);
  });

  it("refuses addresses that do not fit 32-bit words, overlapping destinations, and running out of free pages", () => {
    const base = { pageSize: 4096n, endianness: "little" as const, free: [{ start: 0x1000n, end: 0x3000n }] };
    expect(() => buildIndirectionList([{ mem: 0x1_0000_0000n, memsz: 0x1000n, bufsz: 0n }], { ...base, wordBytes: 4 })).toThrow(/32-bit/);
    expect(() =>
      buildIndirectionList(
        [
          { mem: 0x10000n, memsz: 0x2000n, bufsz: 0n },
          { mem: 0x11000n, memsz: 0x1000n, bufsz: 0n },
        ],
        { ...base, wordBytes: 8 },
      ),
    ).toThrow(/overlap/);
    expect(() => buildIndirectionList([{ mem: 0x10000n, memsz: 0x4000n, bufsz: 0x4000n }], { ...base, wordBytes: 8 })).toThrow(/no free page/);
  });
});
