import { hex, U64_LIMIT } from "../bits.js";
import { IndirectionListError, decodeListEntry, readListWord, type ListEncoding } from "./list-encoding.js";

/**
 * Sparse simulated physical memory: page address -> bytes. Pages never written
 * read as zero. Used to execute indirection lists and check what they did.
 */
export class SparseMemory {
  private readonly pages = new Map<bigint, Uint8Array>();

  constructor(readonly pageSize: bigint) {}

  /** A copy of the page at `address` (page-aligned). */
  readPage(address: bigint): Uint8Array {
    const p = this.pages.get(address);
    return p === undefined ? new Uint8Array(Number(this.pageSize)) : p.slice();
  }

  /** Store a page (`bytes` shorter than a page is zero-padded). */
  writePage(address: bigint, bytes: Uint8Array): void {
    const page = new Uint8Array(Number(this.pageSize));
    page.set(bytes.subarray(0, page.length));
    this.pages.set(address, page);
  }

  /** Write `bytes` at any address, page by page. */
  write(address: bigint, bytes: Uint8Array): void {
    const ps = this.pageSize;
    let offset = 0;
    while (offset < bytes.length) {
      const a = address + BigInt(offset);
      const base = a - (a % ps);
      const within = Number(a - base);
      const n = Math.min(bytes.length - offset, Number(ps) - within);
      const page = this.readPage(base);
      page.set(bytes.subarray(offset, offset + n), within);
      this.pages.set(base, page);
      offset += n;
    }
  }

  /** `length` bytes from `address`. */
  read(address: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const ps = this.pageSize;
    let offset = 0;
    while (offset < length) {
      const a = address + BigInt(offset);
      const base = a - (a % ps);
      const within = Number(a - base);
      const n = Math.min(length - offset, Number(ps) - within);
      out.set(this.readPage(base).subarray(within, within + n), offset);
      offset += n;
    }
    return out;
  }

  /** Addresses of every page ever written. */
  addresses(): bigint[] {
    return [...this.pages.keys()];
  }

  /** A deep copy: every page's bytes are copied. */
  clone(): SparseMemory {
    const c = new SparseMemory(this.pageSize);
    for (const [a, p] of this.pages) c.pages.set(a, p.slice());
    return c;
  }
}

export interface InterpreterOptions extends ListEncoding {
  /** Most entries executed before giving up (a list must end well within it). */
  readonly maxSteps: number;
  /** Accept Xen's IND_ZERO. */
  readonly allowZero?: boolean;
  /**
   * Refuse a list whose copies read a page an earlier entry of the same list
   * wrote (its source was clobbered before it was copied), or whose list pages
   * were overwritten before being read.
   */
  readonly strict?: boolean;
}

/** What {@link executeIndirectionList} did: entries walked, pages copied and zeroed, list pages read and destination pages written. */
export interface ExecutionResult {
  readonly steps: number;
  readonly copied: number;
  readonly zeroed: number;
  readonly listPages: readonly bigint[];
  /** Destination pages written, in order. */
  readonly written: readonly bigint[];
}

/**
 * Execute the indirection list starting at list page `head` on `memory`, the
 * way relocation code does, but checking every entry: exactly one known flag,
 * page-aligned address, DONE without address, SOURCE/ZERO only after a
 * DESTINATION, INDIRECTION never back to a list page already walked, every list
 * page ending in INDIRECTION or DONE, at most `maxSteps` entries.
 */
export function executeIndirectionList(memory: SparseMemory, head: bigint, options: InterpreterOptions): ExecutionResult {
  const ps = options.pageSize;
  if (memory.pageSize !== ps) throw new IndirectionListError(undefined, `memory page size ${hex(memory.pageSize)} differs from the list's ${hex(ps)}`);
  if (head === 0n || (head & (ps - 1n)) !== 0n) throw new IndirectionListError(undefined, `head ${hex(head)} is not a non-zero page-aligned address`);
  const perPage = Number(ps) / options.wordBytes;
  const visited = new Set<bigint>([head]);
  const listPages: bigint[] = [head];
  const written: bigint[] = [];
  const writtenSet = new Set<bigint>();
  let page = head;
  let words = memory.readPage(page);
  let index = 0;
  let dest: bigint | undefined;
  let steps = 0;
  let copied = 0;
  let zeroed = 0;
  for (;;) {
    if (steps >= options.maxSteps) throw new IndirectionListError(page + BigInt(index * options.wordBytes), `no DONE within ${options.maxSteps} steps`);
    if (index >= perPage) throw new IndirectionListError(page, `list page ${hex(page)} ends without INDIRECTION or DONE (missing DONE)`);
    const at = page + BigInt(index * options.wordBytes);
    const entry = readListWord(words, index, options);
    steps++;
    index++;
    const decoded = decodeListEntry(entry, ps);
    if (decoded.kind === undefined) throw new IndirectionListError(at, decoded.problem);
    const { kind, address } = decoded;
    switch (kind) {
      case "DESTINATION":
        dest = address;
        break;
      case "INDIRECTION": {
        if (address === page) throw new IndirectionListError(at, `self-referencing indirection page ${hex(address)}`);
        if (visited.has(address)) throw new IndirectionListError(at, `indirection back to list page ${hex(address)} already walked (a loop)`);
        if (address === 0n) throw new IndirectionListError(at, "indirection to page 0");
        if (options.strict && writtenSet.has(address)) throw new IndirectionListError(at, `list page ${hex(address)} was overwritten by an earlier copy`);
        visited.add(address);
        listPages.push(address);
        page = address;
        words = memory.readPage(page);
        index = 0;
        break;
      }
      case "DONE":
        if (address !== 0n) throw new IndirectionListError(at, `DONE entry ${hex(entry)} carries an address`);
        return { steps, copied, zeroed, listPages, written };
      case "SOURCE":
      case "ZERO": {
        if (kind === "ZERO" && !options.allowZero) throw new IndirectionListError(at, "ZERO entry where IND_ZERO is not supported");
        if (kind === "ZERO" && address !== 0n) throw new IndirectionListError(at, `ZERO entry ${hex(entry)} carries an address (IND_ZERO is the bare flag 0x10)`);
        if (dest === undefined) throw new IndirectionListError(at, `${kind} before any DESTINATION`);
        if (dest + ps > U64_LIMIT) throw new IndirectionListError(at, "destination runs past 2^64");
        if (kind === "SOURCE") {
          if (options.strict && address !== dest && writtenSet.has(address)) {
            throw new IndirectionListError(at, `source page ${hex(address)} was overwritten by an earlier entry before being copied`);
          }
          memory.writePage(dest, memory.readPage(address));
          copied++;
        } else {
          memory.writePage(dest, new Uint8Array(Number(ps)));
          zeroed++;
        }
        // Overwriting a list page still to be read is caught at its INDIRECTION; the one being walked, here.
        if (options.strict && dest === page) throw new IndirectionListError(at, `entry overwrites the list page ${hex(page)} being walked`);
        written.push(dest);
        writtenSet.add(dest);
        dest += ps;
        break;
      }
    }
  }
}
