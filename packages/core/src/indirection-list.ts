import { alignUp, hex, isAligned, maskOf } from "./bits.js";
import { HandoffError, ValidationError } from "./errors.js";
import { mergeRanges, subtractRange, type AddressRange } from "./memory-map.js";

/*
 * The kexec indirection list (Linux include/linux/kexec.h, Xen
 * xen/include/xen/kimage.h): a chain of list pages, each a sequence of words
 * `page-aligned physical address | one flag`. The relocation code walks it:
 * DESTINATION sets where the next pages go, SOURCE copies one page there and
 * advances, INDIRECTION continues in another list page, DONE ends. Xen adds
 * ZERO: zero-fill the destination page and advance.
 */
/** kimage entry flag: the address is the next destination page. */
export const IND_DESTINATION = 0x1n;
/** kimage entry flag: the address is the next list page to read entries from. */
export const IND_INDIRECTION = 0x2n;
/** kimage entry flag: end of the list. */
export const IND_DONE = 0x4n;
/** kimage entry flag: copy the page at this address to the destination, then advance it. */
export const IND_SOURCE = 0x8n;
/**
 * Xen only (xen/include/xen/kimage.h): zero the current destination page and
 * advance. The entry carries no address (Xen's kimage writes a bare 0x10 and
 * its relocate_pages ignores the address bits).
 */
export const IND_ZERO = 0x10n;

const FLAG_NAMES = new Map<bigint, string>([
  [IND_DESTINATION, "DESTINATION"],
  [IND_INDIRECTION, "INDIRECTION"],
  [IND_DONE, "DONE"],
  [IND_SOURCE, "SOURCE"],
  [IND_ZERO, "ZERO"],
]);

/** How list words are laid out: page size, word size (pointer width), byte order. */
export interface ListEncoding {
  readonly pageSize: bigint;
  /** 4 on 32-bit arches, 8 on 64-bit (the list holds `unsigned long` / paddr_t words). */
  readonly wordBytes: 4 | 8;
  readonly endianness: "little" | "big";
}

/** A malformed indirection list, or one the builder cannot produce. */
export class IndirectionListError extends HandoffError {
  readonly code = "E_INDIRECTION";
  constructor(
    /** Physical address of the offending entry, when there is one. */
    readonly entryAddress: bigint | undefined,
    readonly reason: string,
  ) {
    super(`indirection list${entryAddress === undefined ? "" : ` entry @${hex(entryAddress)}`}: ${reason}`);
  }
}

/** Name of an entry's flag, for dumps. */
export function entryKind(entry: bigint, pageSize: bigint): string {
  return FLAG_NAMES.get(entry & (pageSize - 1n)) ?? "INVALID";
}

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

/** One page of the indirection list: its physical address and its contents. */
export interface ListPage {
  readonly address: bigint;
  readonly bytes: Uint8Array;
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
    for (;;) {
      const r = this.ranges[this.index];
      if (r === undefined) throw new IndirectionListError(undefined, `no free page left for ${what}`);
      if (this.cursor < r.start) this.cursor = r.start;
      if (this.cursor + this.pageSize <= r.end) {
        const page = this.cursor;
        if (page + this.pageSize - 1n > this.maxAddress) throw new IndirectionListError(undefined, `no free page for ${what} addressable by the list's word size`);
        this.cursor += this.pageSize;
        return page;
      }
      this.index++;
    }
  }
}

/** Write one word into a list page. */
function putWord(bytes: Uint8Array, index: number, value: bigint, encoding: ListEncoding): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = encoding.endianness === "little";
  if (encoding.wordBytes === 8) view.setBigUint64(index * 8, value, little);
  else view.setUint32(index * 4, Number(value), little);
}

/** Read one word of a list page. */
export function readListWord(bytes: Uint8Array, index: number, encoding: ListEncoding): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = encoding.endianness === "little";
  return encoding.wordBytes === 8 ? view.getBigUint64(index * 8, little) : BigInt(view.getUint32(index * 4, little));
}

function checkEncoding(e: ListEncoding): void {
  if (e.pageSize < 32n || (e.pageSize & (e.pageSize - 1n)) !== 0n) {
    throw new ValidationError("indirection list", `page size ${hex(e.pageSize)} must be a power of two >= 0x20 (flags use the low 5 bits)`);
  }
  if (e.wordBytes !== 4 && e.wordBytes !== 8) throw new ValidationError("indirection list", `word size ${String(e.wordBytes)} is not 4 or 8`);
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
  checkEncoding(options);
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

  segments.forEach((s, si) => {
    const pages = Number(s.memsz / ps);
    const bufPages = Number(alignUp(s.bufsz, ps) / ps);
    const placed: (bigint | undefined)[] = new Array<bigint | undefined>(bufPages).fill(undefined);
    for (let k = 0; k < pages; k++) {
      const dest = s.mem + BigInt(k) * ps;
      const zero = k >= bufPages || (s.isZeroPage?.(k) ?? false);
      if (zero && (k >= bufPages || options.useZero)) {
        if (options.useZero) {
          // Xen's kimage_load_normal_segment emits a bare IND_ZERO: it zeroes the current destination.
          emit(dest, IND_ZERO);
          counts.zero++;
        } else {
          zeroSource ??= allocator.take("the shared zero source page");
          emit(dest, zeroSource | IND_SOURCE);
          counts.source++;
        }
        continue;
      }
      let source = s.staging === undefined ? allocator.take(`staging of segment ${si}`) : s.staging + BigInt(k) * ps;
      if (source === dest) {
        placed[k] = source;
        counts.inPlace++;
        cursor = undefined; // the next emitted page needs its own DESTINATION
        continue;
      }
      if (isDestination(source)) {
        const to = allocator.take(`a swap page for ${hex(source)}`);
        swaps.push({ segment: si, page: k, from: source, to });
        source = to;
      }
      placed[k] = source;
      emit(dest, source | IND_SOURCE);
      counts.source++;
    }
    staging.push(placed);
  });
  stream.push(IND_DONE);

  // Pack: each list page holds n words; when more follow, its last word links on.
  const n = Number(ps) / options.wordBytes;
  const listPages: ListPage[] = [];
  const entries: bigint[] = [];
  let at = 0;
  let current: ListPage = { address: allocator.take("the first list page"), bytes: new Uint8Array(Number(ps)) };
  listPages.push(current);
  for (;;) {
    const remaining = stream.length - at;
    if (remaining <= n) {
      for (let i = 0; i < remaining; i++) {
        putWord(current.bytes, i, stream[at + i]!, options);
        entries.push(stream[at + i]!);
      }
      break;
    }
    for (let i = 0; i < n - 1; i++) {
      putWord(current.bytes, i, stream[at + i]!, options);
      entries.push(stream[at + i]!);
    }
    at += n - 1;
    const next: ListPage = { address: allocator.take("a list page"), bytes: new Uint8Array(Number(ps)) };
    putWord(current.bytes, n - 1, next.address | IND_INDIRECTION, options);
    entries.push(next.address | IND_INDIRECTION);
    counts.indirection++;
    listPages.push(next);
    current = next;
  }
  const head = listPages[0]!.address;
  return { encoding: { pageSize: ps, wordBytes: options.wordBytes, endianness: options.endianness }, head, headEntry: head | IND_INDIRECTION, listPages, entries, staging, swaps, zeroSource, counts };
}
