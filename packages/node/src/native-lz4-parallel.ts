/**
 * LZ4's legacy frame inflated on two cores (issue 18: the x86_64 fixture's
 * payload within 1.5x of `lz4 -dc`). One thread cannot get there with a fresh
 * output: first-touch page faults on 53 MB, liblz4's decode and the validation
 * walk (./native-lz4.ts) add up to about twice `lz4 -dc`, which streams into
 * one reused buffer. So the work is split: libuv's thread pool (koffi's
 * `.async`) first prefaults the output (`MADV_POPULATE_WRITE`, cheaper than
 * taking the faults one page at a time, and the faults of two threads at once
 * slow both down here), back half first, and then decodes blocks from the
 * front, one call in flight at a time, while the main thread walks every block;
 * once its walk is done the main thread decodes blocks from the back. Each
 * block is claimed once, by whichever side takes it first.
 *
 * Blocks decode independently (the legacy frame has no cross-block matches),
 * each into its own slice of the output, so they need the output offsets
 * before the walk has summed the sizes: every block but the last is taken to
 * inflate to 8 MiB (what `lz4 -l` and Linux's build write) and the last to the
 * rest of the announced size. The walk checks exactly that. A stream that does
 * not fit (another layout, a block core refuses, a size announcement that is
 * wrong) gives undefined once every pool call has returned; its output is
 * dropped and the caller's synchronous path decides, as before.
 */
import { LEGACY_BLOCK_MAX, LIBLZ4_SONAME, legacyBlocks, lz4BlockSize, type Lz4DecompressSafe } from "./native-lz4.js";

/** A koffi function: called directly, or on libuv's thread pool with a Node-style callback. */
type KoffiFunction = ((...args: unknown[]) => unknown) & { async(...args: unknown[]): void };

/** The part of koffi used here. */
interface KoffiLoader {
  load(path: string): { func(signature: string): KoffiFunction };
}

/** liblz4's block decoder, callable on this thread and on the pool; and a prefault of the output where libc allows it. */
export interface Liblz4OnTwoCores {
  /** `LZ4_decompress_safe` on this thread. */
  readonly decompress: Lz4DecompressSafe;
  /** `LZ4_decompress_safe` on libuv's thread pool; `done` gets the bytes written (negative: malformed). */
  decompressOnPool(src: Uint8Array, dst: Uint8Array, srcSize: number, dstCapacity: number, done: (error: unknown, written: number) => void): void;
  /** Fault `out`'s pages in on the pool before the decoders write them; `done` when finished, whatever the outcome (it only saves time). */
  readonly prefaultOnPool?: (out: Uint8Array, done: () => void) => void;
}

/** glibc's soname; madvise and memmove come from it. */
const LIBC_SONAME = "libc.so.6";
/** Linux 5.14+: populate the pages writable, as first writes would. An older kernel says EINVAL and the faults come as usual. */
const MADV_POPULATE_WRITE = 23;
const PAGE = 4096;

/** madvise(MADV_POPULATE_WRITE) over the whole pages of `out`, on the pool; undefined when libc does not load. */
function prefaulter(koffi: KoffiLoader): Liblz4OnTwoCores["prefaultOnPool"] {
  let libc: ReturnType<KoffiLoader["load"]>;
  try {
    libc = koffi.load(LIBC_SONAME);
  } catch {
    return undefined; // not glibc: the decoders take the faults themselves
  }
  const madvise = libc.func("int madvise(void *addr, size_t length, int advice)");
  // memmove of 0 bytes returns its destination: the address of a typed array's bytes, to align to a page.
  const addressOf = libc.func("uintptr_t memmove(void *dest, const void *src, size_t n)");
  return (out, done) => {
    const address = Number(addressOf(out, out, 0));
    const skip = (PAGE - (address % PAGE)) % PAGE;
    if (out.length - skip < PAGE) return done();
    madvise.async(out.subarray(skip), out.length - skip, MADV_POPULATE_WRITE, () => done());
  };
}

/** liblz4 (and libc's madvise) through koffi, for {@link inflateLegacyLz4OnTwoCores}; throws when koffi or liblz4 is not there. */
export function loadLiblz4OnTwoCores(load: (id: string) => unknown): Liblz4OnTwoCores {
  const koffi = load("koffi") as KoffiLoader;
  const fn = koffi.load(LIBLZ4_SONAME).func("int LZ4_decompress_safe(const void *src, void *dst, int compressedSize, int dstCapacity)");
  return {
    decompress: fn as unknown as Lz4DecompressSafe,
    decompressOnPool: (src, dst, srcSize, dstCapacity, done) => fn.async(src, dst, srcSize, dstCapacity, done),
    prefaultOnPool: prefaulter(koffi),
  };
}

/** Let the event loop run the pool's completion callbacks (they hand the pool its next block). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Inflate `input`, exactly one legacy frame announced to inflate to `size`
 * bytes, into a new buffer of that size on two cores (see the module
 * comment); undefined when the stream is not one this path takes. Resolves
 * only after every call it queued on the pool has returned.
 */
export async function inflateLegacyLz4OnTwoCores(input: Uint8Array, size: number, lib: Liblz4OnTwoCores): Promise<Uint8Array | undefined> {
  const blocks = legacyBlocks(input);
  if (blocks === undefined || blocks.length === 0) return undefined;
  const last = blocks.length - 1;
  const lastSize = size - last * LEGACY_BLOCK_MAX;
  if (lastSize <= 0 || lastSize > LEGACY_BLOCK_MAX) return undefined; // the announced size does not fit 8 MiB blocks
  const out = new Uint8Array(size);
  const slice = (i: number) => {
    const [start, length] = blocks[i]!;
    const want = i === last ? lastSize : LEGACY_BLOCK_MAX;
    return { src: input.subarray(start, start + length), length, dst: out.subarray(i * LEGACY_BLOCK_MAX, i * LEGACY_BLOCK_MAX + want), want };
  };
  const claimed = new Uint8Array(blocks.length);
  let front = 0;
  let back = last;
  let failed = false;
  let inFlight = 0;
  let drained = (): void => {};
  const settle = () => {
    if (--inFlight === 0) drained();
  };
  // The pool's side: the next unclaimed block from the front, queued when the previous call returns.
  const queueNext = (): void => {
    while (front <= back && claimed[front]) front++;
    if (failed || front > back) return;
    const b = slice(front);
    claimed[front] = 1;
    inFlight++;
    try {
      lib.decompressOnPool(b.src, b.dst, b.length, b.want, (error, written) => {
        if (error || written !== b.want) failed = true;
        queueNext();
        settle();
      });
    } catch {
      failed = true; // not queued: nothing to wait for
      inFlight--;
    }
  };
  const prefault = lib.prefaultOnPool;
  if (prefault) {
    // The back half first: the main thread decodes from the back once its walk is done, into pages ready by then.
    const split = (blocks.length >> 1) * LEGACY_BLOCK_MAX;
    inFlight++;
    const afterPrefault = () => {
      queueNext();
      settle();
    };
    try {
      prefault(out.subarray(split), () => {
        if (failed || split === 0) return afterPrefault();
        try {
          prefault(out.subarray(0, split), afterPrefault);
        } catch {
          afterPrefault();
        }
      });
    } catch {
      afterPrefault(); // a prefault only saves time
    }
  } else queueNext();
  for (let i = 0; i <= last && !failed; i++) {
    const [start, length] = blocks[i]!;
    if (lz4BlockSize(input, start, start + length) !== slice(i).want) failed = true;
    await turn();
  }
  // The main thread's side: unclaimed blocks from the back.
  for (;;) {
    while (back >= front && claimed[back]) back--;
    if (failed || back < front) break;
    const b = slice(back);
    claimed[back] = 1;
    try {
      if (lib.decompress(b.src, b.dst, b.length, b.want) !== b.want) failed = true;
    } catch {
      failed = true; // still wait for the pool below
    }
    await turn();
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  return failed ? undefined : out;
}
