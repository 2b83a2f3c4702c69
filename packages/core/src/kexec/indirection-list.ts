import { alignUp, hex, isAligned, maskOf } from "../bits.js";
import { ValidationError } from "../errors.js";
import { mergeRanges, subtractRange, type AddressRange } from "../memory-map.js";
import { IND_DESTINATION, IND_DONE, IND_INDIRECTION, IND_SOURCE, IND_ZERO, IndirectionListError, checkListEncoding, writeIndirectionList, type ListEncoding, type ListPage } from "./list-encoding.js";

/** One segment to relocate, at page granularity. */
export interface RelocationSegment {
  /** Page-aligned destination. */
  readonly mem: bigint;
  /** Page-aligned size at the destination. */
  readonly memsz: bigint;
  /** Bytes of data; the rest of memsz is zero. */
  readonly bufsz: bigint;
  /**
   * Page-aligned address where the loader puts the `bufsz` bytes (followed by
   * zeros to the page end). Undefined: the builder chooses free pages.
   * Equal to `mem`: the data is already in place and needs no entry.
   */
  readonly staging?: bigint;
  /** Tells which buffer pages are all zero (with `useZero` they become ZERO entries). */
  readonly isZeroPage?: (pageIndex: number) => boolean;
  readonly label?: string;
}

export interface IndirectionBuildOptions extends ListEncoding {
  /**
   * Memory the builder may use for list pages, swap pages and staging it
   * chooses: RAM free at load time. Destinations and given staging ranges are
   * subtracted; page 0 is never used.
   */
  readonly free: readonly AddressRange[];
  /** Emit IND_ZERO for zero pages (Xen). Without it a zero page is copied from one shared zeroed source page. */
  readonly useZero?: boolean;
  /** Most list entries accepted before allocating anything (default 2^24). */
  readonly maxEntries?: number;
}

/** A page a staged source was moved to because it sat on another page's destination. */
export interface SwapPage {
  readonly segment: number;
  /** Page index within the segment. */
  readonly page: number;
  /** Where the loader was going to stage it (a destination of some other page). */
  readonly from: bigint;
  /** Where it must be staged instead (free, no one's destination). */
  readonly to: bigint;
}

/** What the builder produced: the list, and where every source page must be staged. */
export interface IndirectionPlan {
  readonly encoding: ListEncoding;
  /** Physical address of the first list page. */
  readonly head: bigint;
  /** `head | IND_INDIRECTION`, the form Linux keeps in `kimage->head`. */
  readonly headEntry: bigint;
  readonly listPages: readonly ListPage[];
  /** Entries in execution order (INDIRECTION links included, DONE last). */
  readonly entries: readonly bigint[];
  /** Per segment, the staging address of each buffer page (undefined for pages with no source). */
  readonly staging: readonly (readonly (bigint | undefined)[])[];
  readonly swaps: readonly SwapPage[];
  /** The shared zeroed source page (only without `useZero`, only if a zero page exists). */
  readonly zeroSource: bigint | undefined;
  readonly counts: {
    readonly destination: number;
    readonly source: number;
    readonly zero: number;
    readonly indirection: number;
    /** Pages already in place (no entry). */
    readonly inPlace: number;
  };
}

/** Hands out free pages bottom-up from a list of half-open ranges. */
class PageAllocator {
  private index = 0;
  private cursor: bigint;
  private readonly ranges: AddressRange[];

  constructor(
    ranges: readonly AddressRange[],
    private readonly pageSize: bigint,
    private readonly maxAddress: bigint,
  ) {
    this.ranges = ranges
      .map((r) => ({ start: alignUp(r.start, pageSize), end: r.end - (r.end % pageSize) }))
      .filter((r) => r.end > r.start);
    this.cursor = this.ranges[0]?.start ?? 0n;
  }

  take(what: string): bigint {
    return this.takeRun(1, what).start;
  }

  /**
   * Up to `most` consecutive free pages at once (at least one): exactly the
   * pages `take` would hand out one by one, and the same refusals.
   */
  takeRun(most: number, what: string): { readonly start: bigint; readonly count: number } {
    const ps = this.pageSize;
    for (;;) {
      const r = this.ranges[this.index];
      if (r === undefined) throw new IndirectionListError(undefined, `no free page left for ${what}`);
      if (this.cursor < r.start) this.cursor = r.start;
      if (this.cursor + ps <= r.end) {
        const start = this.cursor;
        if (start + ps - 1n > this.maxAddress) throw new IndirectionListError(undefined, `no free page for ${what} addressable by the list's word size`);
        const inRange = (r.end - start) / ps;
        const addressable = (this.maxAddress + 1n - start) / ps;
        let count = BigInt(most);
        if (inRange < count) count = inRange;
        if (addressable < count) count = addressable;
        this.cursor = start + count * ps;
        return { start, count: Number(count) };
      }
      this.index++;
    }
  }

}

/**
 * Build the indirection list that moves `segments` from their staging pages to
 * their destinations. Copy safety holds by construction, in any execution
 * order: every source page is either its own destination (then it needs no
 * entry) or no page's destination (a staged page that sits on another page's
 * destination is moved to a free swap page first, the way Linux's
 * kimage_alloc_page refuses such pages), and list pages, swap pages and the
 * zero source are neither destinations nor staging.
 */
export function buildIndirectionList(segments: readonly RelocationSegment[], options: IndirectionBuildOptions): IndirectionPlan {
  checkListEncoding(options);
  const ps = options.pageSize;
  const maxAddress = maskOf(options.wordBytes * 8);
  const maxEntries = options.maxEntries ?? 1 << 24;
  const dests: AddressRange[] = [];
  const stagings: AddressRange[] = [];
  let totalPages = 0n;
  segments.forEach((s, i) => {
    const what = `relocation segment ${i}${s.label ? ` (${s.label})` : ""}`;
    if (!isAligned(s.mem, ps) || !isAligned(s.memsz, ps)) throw new ValidationError(what, `mem ${hex(s.mem)} and memsz ${hex(s.memsz)} must be page-aligned`);
    if (s.bufsz < 0n || s.bufsz > s.memsz) throw new ValidationError(what, `bufsz ${hex(s.bufsz)} exceeds memsz ${hex(s.memsz)}`);
    if (s.mem + s.memsz - 1n > maxAddress && s.memsz > 0n) throw new ValidationError(what, `destination does not fit ${options.wordBytes * 8}-bit list entries`);
    if (s.memsz > 0n) dests.push({ start: s.mem, end: s.mem + s.memsz });
    totalPages += s.memsz / ps;
    if (s.staging !== undefined && s.bufsz > 0n) {
      if (!isAligned(s.staging, ps)) throw new ValidationError(what, `staging ${hex(s.staging)} is not page-aligned`);
      const end = s.staging + alignUp(s.bufsz, ps);
      if (end - 1n > maxAddress) throw new ValidationError(what, `staging does not fit ${options.wordBytes * 8}-bit list entries`);
      stagings.push({ start: s.staging, end });
    }
  });
  if (totalPages * 2n + 2n > BigInt(maxEntries)) throw new IndirectionListError(undefined, `${totalPages} pages exceed the ${maxEntries}-entry limit`);
  const sortedDests = [...dests].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < sortedDests.length; i++) {
    if (sortedDests[i]!.start < sortedDests[i - 1]!.end) throw new ValidationError("relocation segments", `destinations overlap at ${hex(sortedDests[i]!.start)}`);
  }
  const sortedStaging = [...stagings].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < sortedStaging.length; i++) {
    if (sortedStaging[i]!.start < sortedStaging[i - 1]!.end) throw new ValidationError("relocation segments", `staging ranges overlap at ${hex(sortedStaging[i]!.start)}`);
  }
  const isDestination = (page: bigint): boolean => {
    let lo = 0;
    let hi = sortedDests.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = sortedDests[mid]!;
      if (page < r.start) hi = mid - 1;
      else if (page >= r.end) lo = mid + 1;
      else return true;
    }
    return false;
  };
  let free = mergeRanges(options.free).flatMap((r) => subtractRange(r, { start: 0n, end: ps }));
  for (const taken of [...dests, ...stagings]) free = free.flatMap((r) => subtractRange(r, taken));
  const allocator = new PageAllocator(free, ps, maxAddress);

  const stream: bigint[] = [];
  const staging: (bigint | undefined)[][] = [];
  const swaps: SwapPage[] = [];
  let zeroSource: bigint | undefined;
  const counts = { destination: 0, source: 0, zero: 0, indirection: 0, inPlace: 0 };
  let cursor: bigint | undefined;
  const emit = (dest: bigint, entry: bigint): void => {
    if (cursor !== dest) {
      stream.push(dest | IND_DESTINATION);
      counts.destination++;
    }
    stream.push(entry);
    cursor = dest + ps;
  };

  // Per page this runs once for every page of every segment, so it steps
  // addresses by addition and skips what cannot happen: pages the allocator
  // hands out are free, never a destination, and a given staging range that
  // overlaps no destination needs no per-page search.
  segments.forEach((s, si) => {
    const pages = Number(s.memsz / ps);
    const bufPages = Number(alignUp(s.bufsz, ps) / ps);
    const placed: (bigint | undefined)[] = new Array<bigint | undefined>(bufPages).fill(undefined);
    const stagedEnd = s.staging === undefined ? undefined : s.staging + BigInt(bufPages) * ps;
    const mayHitDestination = s.staging !== undefined && sortedDests.some((d) => d.start < stagedEnd! && s.staging! < d.end);
    let dest = s.mem;
    let staged = s.staging;
    const inRuns = staged === undefined && !(options.useZero && s.isZeroPage !== undefined);
    if (inRuns && bufPages > 0) {
      // The common case (the builder stages every page itself): pages come in
      // runs from the allocator, none is a destination (those are not free),
      // so the entries are one DESTINATION and a SOURCE per page.
      if (cursor !== dest) {
        stream.push(dest | IND_DESTINATION);
        counts.destination++;
      }
      for (let k = 0; k < bufPages; ) {
        const run = allocator.takeRun(bufPages - k, `staging of segment ${si}`);
        let page = run.start;
        for (let j = 0; j < run.count; j++, k++, page += ps) {
          placed[k] = page;
          stream.push(page | IND_SOURCE);
        }
      }
      counts.source += bufPages;
      dest += BigInt(bufPages) * ps;
      cursor = dest;
    }
    for (let k = inRuns ? bufPages : 0; k < bufPages; k++, dest += ps) {
      const given = staged;
      if (staged !== undefined) staged += ps;
      if (options.useZero && s.isZeroPage?.(k) === true) {
        // Xen's kimage_load_normal_segment emits a bare IND_ZERO: it zeroes the current destination.
        emit(dest, IND_ZERO);
        counts.zero++;
        continue;
      }
      let source = given ?? allocator.take(`staging of segment ${si}`);
      if (source === dest) {
        placed[k] = source;
        counts.inPlace++;
        cursor = undefined; // the next emitted page needs its own DESTINATION
        continue;
      }
      if (mayHitDestination && isDestination(source)) {
        const to = allocator.take(`a swap page for ${hex(source)}`);
        swaps.push({ segment: si, page: k, from: source, to });
        source = to;
      }
      placed[k] = source;
      emit(dest, source | IND_SOURCE);
      counts.source++;
    }
    if (pages > bufPages) {
      // The zero tail up to memsz: one entry per page, all alike.
      const entry = options.useZero ? IND_ZERO : (zeroSource ??= allocator.take("the shared zero source page")) | IND_SOURCE;
      emit(dest, entry);
      for (let k = bufPages + 1; k < pages; k++) stream.push(entry);
      if (options.useZero) counts.zero += pages - bufPages;
      else counts.source += pages - bufPages;
      cursor = s.mem + s.memsz;
    }
    staging.push(placed);
  });
  stream.push(IND_DONE);

  const written = writeIndirectionList(stream, options, (what) => allocator.take(what));
  const { listPages, entries } = written;
  counts.indirection = written.indirections;
  const head = listPages[0]!.address;
  return { encoding: { pageSize: ps, wordBytes: options.wordBytes, endianness: options.endianness }, head, headEntry: head | IND_INDIRECTION, listPages, entries, staging, swaps, zeroSource, counts };
}
