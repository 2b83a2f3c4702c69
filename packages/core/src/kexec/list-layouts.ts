/*
 * Entry builders for lists whose pages sit at a chosen, contiguous address (a
 * stub's artefact): they only decide the entries; the one writer in
 * list-encoding.ts packs them, so page size and byte order are parameters here
 * exactly as for buildIndirectionList.
 */
import { alignUp, checkedAdd64, hex, maskOf } from "../bits.js";
import { ValidationError } from "../errors.js";
import type { Segment } from "../image.js";
import {
  IND_DESTINATION,
  IND_DONE,
  IND_INDIRECTION,
  IND_SOURCE,
  IND_ZERO,
  concatListPages,
  contiguousPages,
  writeIndirectionList,
  type ListEncoding,
} from "./list-encoding.js";

/** Page size and byte order of a contiguous list; both default to the 4 KiB little-endian lists every current arch uses. */
export interface ContiguousListEncoding {
  /** Bytes per list entry: 4 on 32-bit, 8 on 64-bit. */
  readonly word: 4 | 8;
  /** Default 4 KiB. */
  readonly pageSize?: bigint;
  /** Default little-endian. */
  readonly endianness?: "little" | "big";
}

/** Bytes at a physical address (a loader blob, an ELF PT_LOAD). */
export interface PlacedBytes {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
  /** What it is: `staging`, `indirection-list`, `stub`, `page-tables`... */
  readonly role: string;
}

/** Where a flat payload goes and where its staging copy and list live. */
export interface FlatPayloadLayoutOptions extends ContiguousListEncoding {
  readonly payload: Uint8Array;
  /** Destination (page-aligned); the payload's first byte lands here. */
  readonly dest: bigint;
  /** Extra zero-filled pages after the payload (a BSS); they become ZERO entries. */
  readonly zeroPages?: number;
  /** Staging for pages copied from elsewhere (no page of it may be a destination). */
  readonly staging: bigint;
  /** Page-aligned address of the list pages. */
  readonly listBase: bigint;
  /**
   * Indexes of payload pages staged in place (the source page is its own
   * destination): the copy-safety rule "a source page is its own destination
   * or no one's" exercised with overlapping staging.
   */
  readonly inPlace?: ReadonlySet<number>;
  /** Entries per list page before chaining with INDIRECTION; default: a full page. */
  readonly entriesPerPage?: number;
}

/** A flat payload staged for a stub: what to pre-load, the list head and the resulting segment. */
export interface FlatPayloadLayout {
  readonly head: bigint;
  readonly maxSteps: bigint;
  /** Pre-loaded memory: staging pages, in-place pages (at their destination) and list pages. */
  readonly placed: readonly PlacedBytes[];
  /** The destination segment the list produces. */
  readonly segment: Segment;
  readonly entries: readonly bigint[];
}

function encodingOf(o: ContiguousListEncoding): ListEncoding {
  return { pageSize: o.pageSize ?? 4096n, wordBytes: o.word, endianness: o.endianness ?? "little" };
}

/** Writes `stream` as contiguous list pages at `listBase`, refusing pages that overlap `[start, end)` of any of `keepClear`. */
function writeContiguous(what: string, stream: bigint[], encoding: ListEncoding, listBase: bigint, keepClear: readonly { start: bigint; end: bigint; label: string }[], entriesPerPage?: number) {
  if (listBase % encoding.pageSize !== 0n) throw new ValidationError(what, `list base ${hex(listBase)} is not page-aligned`);
  const written = writeIndirectionList(stream, encoding, contiguousPages(listBase, encoding.pageSize), entriesPerPage === undefined ? {} : { entriesPerPage });
  const listEnd = checkedAdd64(listBase, BigInt(written.listPages.length) * encoding.pageSize, `${what} list end`);
  for (const r of keepClear) {
    if (listBase < r.end && r.start < listEnd) throw new ValidationError(what, `list pages ${hex(listBase)}..${hex(listEnd)} overlap ${r.label}`);
  }
  // Entries are the stream without INDIRECTION links; the stub's step bound counts them plus one per list page.
  return { entries: stream, bytes: concatListPages(written.listPages), maxSteps: BigInt(stream.length + written.listPages.length + 1) };
}

/**
 * Stage a flat payload for the kexec indirection list: one DESTINATION, a
 * SOURCE per payload page (from staging, or in place), a ZERO per BSS page,
 * DONE; list pages chained with INDIRECTION. A source page is always either
 * its own destination or outside every destination.
 */
export function layoutFlatPayload(o: FlatPayloadLayoutOptions): FlatPayloadLayout {
  const encoding = encodingOf(o);
  const page = encoding.pageSize;
  for (const [n, v] of [["dest", o.dest], ["staging", o.staging], ["listBase", o.listBase]] as const) {
    if (v % page !== 0n) throw new ValidationError("flat payload layout", `${n} ${hex(v)} is not page-aligned`);
  }
  const pageBytes = Number(page);
  const pages = Number(alignUp(BigInt(o.payload.length), page) / page);
  const zeroPages = o.zeroPages ?? 0;
  const destEnd = o.dest + BigInt(pages + zeroPages) * page;
  const stagingPages = pages - [...(o.inPlace ?? [])].filter((i) => i < pages).length;
  const stagingEnd = o.staging + BigInt(stagingPages) * page;
  if (o.staging < destEnd && o.dest < stagingEnd) throw new ValidationError("flat payload layout", "staging overlaps the destination (a source page must be its own destination or no one's)");
  const stream: bigint[] = [o.dest | IND_DESTINATION];
  const placed: PlacedBytes[] = [];
  const staging = new Uint8Array(stagingPages * pageBytes);
  let s = 0;
  for (let i = 0; i < pages; i++) {
    const bytes = new Uint8Array(pageBytes);
    bytes.set(o.payload.subarray(i * pageBytes, (i + 1) * pageBytes));
    const dest = o.dest + BigInt(i) * page;
    if (o.inPlace?.has(i)) {
      placed.push({ addr: dest, bytes, role: "staging (in place)" });
      stream.push(dest | IND_SOURCE);
    } else {
      staging.set(bytes, s * pageBytes);
      stream.push((o.staging + BigInt(s) * page) | IND_SOURCE);
      s++;
    }
  }
  for (let i = 0; i < zeroPages; i++) stream.push(IND_ZERO);
  stream.push(IND_DONE);
  if (stagingPages) placed.push({ addr: o.staging, bytes: staging, role: "staging" });
  const list = writeContiguous("flat payload layout", stream, encoding, o.listBase, [{ start: o.dest, end: destEnd, label: "the destination" }], o.entriesPerPage);
  placed.push({ addr: o.listBase, bytes: list.bytes, role: "indirection-list" });
  return {
    head: o.listBase | IND_INDIRECTION,
    maxSteps: list.maxSteps,
    placed,
    entries: list.entries,
    segment: { data: { kind: "bytes", bytes: o.payload }, bufsz: BigInt(o.payload.length), mem: o.dest, memsz: BigInt(pages + zeroPages) * page, role: "kernel", name: "payload" },
  };
}

/** The list that places segments already staged at their destinations (page-aligned). */
export interface InPlaceList {
  readonly head: bigint;
  readonly maxSteps: bigint;
  readonly entries: readonly bigint[];
  /** The list pages, to be loaded at `listBase`. */
  readonly bytes: Uint8Array;
}

/** Where an in-place list lives and how its words are encoded. */
export interface InPlaceListOptions extends ContiguousListEncoding {
  readonly listBase: bigint;
}

/**
 * Indirection list for segments staged in place: each segment's file pages are
 * loaded at their destination, so each page's SOURCE is its own DESTINATION
 * (copy-safe by the rule "a source page is its own destination or no one's"),
 * and pages past bufsz up to memsz become ZERO entries. The list pages at
 * `listBase` must not touch any segment.
 */
export function layoutInPlaceList(segments: readonly Segment[], options: InPlaceListOptions): InPlaceList {
  const encoding = encodingOf(options);
  const page = encoding.pageSize;
  const stream: bigint[] = [];
  const limit = maskOf(options.word * 8);
  const sorted = [...segments].sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
  let previousEnd = 0n;
  const clear: { start: bigint; end: bigint; label: string }[] = [];
  for (const s of sorted) {
    const what = s.name ?? s.role;
    if (s.mem % page !== 0n) throw new ValidationError(`segment ${what}`, `destination ${hex(s.mem)} is not page-aligned`);
    if (s.bufsz > s.memsz) throw new ValidationError(`segment ${what}`, `bufsz ${hex(s.bufsz)} exceeds memsz ${hex(s.memsz)}`);
    const end = checkedAdd64(s.mem, alignUp(s.memsz, page), `segment ${what} end`);
    if (end - 1n > limit) throw new ValidationError(`segment ${what}`, `ends at ${hex(end)}, beyond a ${options.word * 8}-bit list word`);
    if (s.mem < previousEnd) throw new ValidationError(`segment ${what}`, `overlaps the segment before it (which ends at ${hex(previousEnd)})`);
    previousEnd = end;
    clear.push({ start: s.mem, end, label: `segment ${what}` });
    stream.push(s.mem | IND_DESTINATION);
    const filePages = alignUp(s.bufsz, page) / page;
    const pages = alignUp(s.memsz, page) / page;
    for (let i = 0n; i < pages; i++) stream.push(i < filePages ? (s.mem + i * page) | IND_SOURCE : IND_ZERO);
  }
  stream.push(IND_DONE);
  const list = writeContiguous("in-place list", stream, encoding, options.listBase, clear);
  return { head: options.listBase | IND_INDIRECTION, maxSteps: list.maxSteps, entries: list.entries, bytes: list.bytes };
}

/** What layoutAlternatingPayload needs: a flat layout's addresses (no in-place set: it picks one) and the room the machine layout has. */
export interface AlternatingPayloadOptions extends Omit<FlatPayloadLayoutOptions, "inPlace"> {
  /** Names the builder in the error. */
  readonly what: string;
  /** The largest payload the layout has room for between `dest` and whatever follows it. */
  readonly maxPayload: bigint;
}

/**
 * The artefact builders' flat payload: refused above `maxPayload`; odd pages
 * staged in place (their own destination), even ones copied from staging, so
 * every list exercises both kinds of SOURCE and the copy-safety rule with
 * overlapping staging.
 */
export function layoutAlternatingPayload(o: AlternatingPayloadOptions): FlatPayloadLayout {
  if (BigInt(o.payload.length) > o.maxPayload) throw new ValidationError(o.what, `payload of ${o.payload.length} bytes exceeds ${hex(o.maxPayload)}`);
  const pages = Math.ceil(o.payload.length / Number(encodingOf(o).pageSize));
  const inPlace = new Set(Array.from({ length: pages }, (_, i) => i).filter((i) => i % 2 === 1));
  return layoutFlatPayload({ ...o, inPlace });
}
