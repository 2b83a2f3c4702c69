import { hex } from "../bits.js";
import { HandoffError, ValidationError } from "../errors.js";

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

const FLAG_NAMES = new Map<bigint, ListEntryKind>([
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

/** What an indirection-list entry says: one of the five flags. */
export type ListEntryKind = "DESTINATION" | "INDIRECTION" | "DONE" | "SOURCE" | "ZERO";

/**
 * One indirection-list entry decoded: its kind and page address, or, for a
 * word no relocation code accepts, why not (`kind` undefined). The decoder
 * judges one word alone; what a kind may carry (DONE and ZERO: no address)
 * and where it may stand is the walker's business.
 */
export type ListEntry = ValidListEntry | InvalidListEntry;

/** A word that is an entry: its kind, and its page-aligned address bits (`entry & ~(pageSize - 1)`). */
export interface ValidListEntry {
  readonly kind: ListEntryKind;
  readonly address: bigint;
}

/** A word no relocation code accepts, and why: zero, no flag, two flags, an unaligned address, an unknown flag. */
export interface InvalidListEntry {
  readonly kind: undefined;
  readonly address: bigint;
  readonly problem: string;
}

/** The one decoder of indirection-list words (kimage `IND_*` entries): the interpreter, the CLI's dumps and the tests read entries through it. */
export function decodeListEntry(entry: bigint, pageSize: bigint): ListEntry {
  const low = pageSize - 1n;
  const flag = entry & low;
  const address = entry & ~low;
  const kind = FLAG_NAMES.get(flag);
  if (kind) return { kind, address };
  const invalid = (problem: string): InvalidListEntry => ({ kind: undefined, address, problem });
  if (entry === 0n) return invalid("empty entry (no flag): lists never contain zero words");
  if (flag === 0n) return invalid(`${hex(entry)} has no flag (unaligned address?)`);
  if ((flag & (flag - 1n)) !== 0n) {
    const known = flag & (IND_DESTINATION | IND_INDIRECTION | IND_DONE | IND_SOURCE | IND_ZERO);
    return invalid((known & (known - 1n)) !== 0n ? `${hex(entry)} has more than one flag` : `${hex(entry)}: address is not page-aligned`);
  }
  return invalid(`${hex(entry)}: address is not page-aligned or the flag is unknown`);
}

/** One page of the indirection list: its physical address and its contents. */
export interface ListPage {
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/** Read one word of a list page. */
export function readListWord(bytes: Uint8Array, index: number, encoding: ListEncoding): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = encoding.endianness === "little";
  return encoding.wordBytes === 8 ? view.getBigUint64(index * 8, little) : BigInt(view.getUint32(index * 4, little));
}

/** Throws unless the page size is a power of two >= 0x20 (flags use the low 5 bits) and words are 4 or 8 bytes. */
export function checkListEncoding(e: ListEncoding): void {
  if (e.pageSize < 32n || (e.pageSize & (e.pageSize - 1n)) !== 0n) {
    throw new ValidationError("indirection list", `page size ${hex(e.pageSize)} must be a power of two >= 0x20 (flags use the low 5 bits)`);
  }
  if (e.wordBytes !== 4 && e.wordBytes !== 8) throw new ValidationError("indirection list", `word size ${String(e.wordBytes)} is not 4 or 8`);
}

/**
 * Write `values` as consecutive words of `bytes` from word `index`. One view
 * per call, and little-endian 64-bit words as one typed-array `set` (the
 * common case: every 64-bit kexec target is little-endian), because this runs
 * for every entry of a list (one per page of every segment).
 */
function putWords(bytes: Uint8Array, index: number, values: readonly bigint[], encoding: ListEncoding): void {
  const little = encoding.endianness === "little";
  if (encoding.wordBytes === 8 && little && HOST_LITTLE_ENDIAN && bytes.byteOffset % 8 === 0) {
    new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).set(values, index);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) {
    if (encoding.wordBytes === 8) view.setBigUint64((index + i) * 8, values[i]!, little);
    else view.setUint32((index + i) * 4, Number(values[i]!), little);
  }
}

/** True on little-endian hosts, where a BigUint64Array holds words in little-endian order. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The list pages written for an entry stream, and the entries in execution order (links included). */
export interface WrittenList {
  readonly listPages: readonly ListPage[];
  /** Entries in execution order: the stream with an INDIRECTION link wherever a page ends. */
  readonly entries: readonly bigint[];
  readonly indirections: number;
}

/** Options of {@link writeIndirectionList}. */
export interface ListWriteOptions {
  /**
   * Entries a page holds before it links on (default: all words but the link
   * word). A final page may also use the word the link would have taken.
   */
  readonly entriesPerPage?: number;
}

/**
 * THE writer of indirection lists: packs an entry stream (ending in DONE)
 * into list pages of `encoding` (page size, word size, byte order), chaining
 * pages with INDIRECTION. `takePage` supplies each list page's physical
 * address, in order; every builder (planned lists, flat payloads, in-place
 * segments) goes through here so all lists share one packing and encoding.
 */
export function writeIndirectionList(
  stream: readonly bigint[],
  encoding: ListEncoding,
  takePage: (what: string) => bigint,
  options: ListWriteOptions = {},
): WrittenList {
  checkListEncoding(encoding);
  if (stream.length === 0 || stream[stream.length - 1] !== IND_DONE) throw new IndirectionListError(undefined, "the entry stream must end with DONE");
  const words = Number(encoding.pageSize) / encoding.wordBytes;
  const per = options.entriesPerPage ?? words - 1;
  if (!Number.isInteger(per) || per < 1 || per > words - 1) throw new ValidationError("indirection list", `entriesPerPage ${per} is not in 1..${words - 1}`);
  const newPage = (what: string): ListPage => {
    const address = takePage(what);
    if (address % encoding.pageSize !== 0n) throw new IndirectionListError(address, `list page is not aligned to ${hex(encoding.pageSize)}`);
    return { address, bytes: new Uint8Array(Number(encoding.pageSize)) };
  };
  const listPages: ListPage[] = [newPage("the first list page")];
  // Page-sized slices, not entry by entry: a list has an entry per page of every segment.
  const parts: bigint[][] = [];
  let at = 0;
  for (;;) {
    const current = listPages[listPages.length - 1]!;
    const remaining = stream.length - at;
    const take = remaining <= per + 1 ? remaining : per;
    const slice = stream.slice(at, at + take);
    putWords(current.bytes, 0, slice, encoding);
    parts.push(slice);
    at += take;
    if (at === stream.length) break;
    const next = newPage("a list page");
    const link = [next.address | IND_INDIRECTION];
    putWords(current.bytes, take, link, encoding);
    parts.push(link);
    listPages.push(next);
  }
  return { listPages, entries: parts.length === 1 ? parts[0]! : joinParts(parts), indirections: listPages.length - 1 };
}

function joinParts(parts: readonly bigint[][]): bigint[] {
  const out = new Array<bigint>(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[at++] = p[i]!;
  return out;
}

/** Successive pages from `base`: the page supplier for a list laid out contiguously. */
export function contiguousPages(base: bigint, pageSize: bigint): (what: string) => bigint {
  let next = base;
  return () => {
    const page = next;
    next += pageSize;
    return page;
  };
}

/** The pages of a written list as one contiguous buffer (for lists from {@link contiguousPages}). */
export function concatListPages(pages: readonly ListPage[]): Uint8Array {
  const out = new Uint8Array(pages.reduce((n, p) => n + p.bytes.length, 0));
  let at = 0;
  for (const p of pages) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  return out;
}
