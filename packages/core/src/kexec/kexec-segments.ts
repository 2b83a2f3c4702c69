import { fitsUnsigned, hex } from "../bits.js";
import { ValidationError } from "../errors.js";

/**
 * The load interface as real consumers read it: Linux `kexec_load(2)`'s
 * segment array and Xen's `KEXEC_CMD_kexec_load` argument. Each encoder writes
 * one explicit layout per word size and asserts its size.
 */

/** One `{buf, bufsz, mem, memsz}` entry: `buf` is the loader's (user or guest) address of the bytes. */
export interface KexecSegmentEntry {
  readonly buf: bigint;
  readonly bufsz: bigint;
  readonly mem: bigint;
  readonly memsz: bigint;
}

/** Word size and byte order of the loader's ABI, which fix the size and encoding of Linux kexec segment entries. */
export interface WordLayout {
  /** Pointer / `size_t` width in bytes: 4 on 32-bit arches, 8 on 64-bit. */
  readonly wordBytes: 4 | 8;
  readonly endianness: "little" | "big";
}

/* Linux include/uapi/linux/kexec.h: kexec_load flags. */
/** Linux kexec.h kexec_load flag: load the crash kernel (run on panic) instead of the normal one. */
export const KEXEC_ON_CRASH = 0x1n;
/** Linux kexec.h kexec_load flag: preserve the current context so the new kernel can return to it. */
export const KEXEC_PRESERVE_CONTEXT = 0x2n;
/** The arch field occupies bits 16..31 of the flags (KEXEC_ARCH_MASK 0xffff0000). */
export const KEXEC_ARCH_MASK = 0xffff0000n;
/*
 * Each KEXEC_ARCH_* value is the ELF machine shifted left by 16 (kexec.h): rather than
 * one constant per architecture here, `linuxKexecFlags` takes the arch's `elfMachine`.
 */
/** Linux kexec.h KEXEC_ARCH_DEFAULT: the running kernel's own architecture. */
export const KEXEC_ARCH_DEFAULT = 0n;

/**
 * `struct kexec_segment { const void *buf; size_t bufsz; const void *mem; size_t memsz; }`:
 * four words, so 16 bytes on 32-bit and 32 bytes on 64-bit.
 */
export function linuxKexecSegmentSize(wordBytes: 4 | 8): number {
  return 4 * wordBytes;
}

/** The `flags` argument of kexec_load: arch (ELF machine) in bits 16..31 plus ON_CRASH / PRESERVE_CONTEXT. */
export function linuxKexecFlags(options: { readonly elfMachine: number; readonly onCrash?: boolean; readonly preserveContext?: boolean }): bigint {
  if (!Number.isInteger(options.elfMachine) || options.elfMachine < 0 || options.elfMachine > 0xffff) {
    throw new ValidationError("kexec_load flags", `ELF machine ${options.elfMachine} does not fit the 16-bit arch field`);
  }
  let flags = BigInt(options.elfMachine) << 16n;
  if (options.onCrash) flags |= KEXEC_ON_CRASH;
  if (options.preserveContext) flags |= KEXEC_PRESERVE_CONTEXT;
  return flags;
}

function putWord(view: DataView, offset: number, value: bigint, layout: WordLayout, what: string): void {
  if (!fitsUnsigned(value, layout.wordBytes * 8)) throw new ValidationError(what, `${hex(value)} does not fit ${layout.wordBytes * 8} bits`);
  const little = layout.endianness === "little";
  if (layout.wordBytes === 8) view.setBigUint64(offset, value, little);
  else view.setUint32(offset, Number(value), little);
}

/** The segment array passed to Linux `kexec_load(entry, nr_segments, segments, flags)`. */
export function encodeLinuxKexecSegments(segments: readonly KexecSegmentEntry[], layout: WordLayout): Uint8Array {
  const size = linuxKexecSegmentSize(layout.wordBytes);
  const out = new Uint8Array(size * segments.length);
  const view = new DataView(out.buffer);
  segments.forEach((s, i) => {
    const base = i * size;
    const w = layout.wordBytes;
    putWord(view, base, s.buf, layout, `kexec_segment[${i}].buf`);
    putWord(view, base + w, s.bufsz, layout, `kexec_segment[${i}].bufsz`);
    putWord(view, base + 2 * w, s.mem, layout, `kexec_segment[${i}].mem`);
    putWord(view, base + 3 * w, s.memsz, layout, `kexec_segment[${i}].memsz`);
  });
  return out;
}

/** Decode a Linux segment array (for tests and dumps); `bytes.length` must be a whole number of entries. */
export function decodeLinuxKexecSegments(bytes: Uint8Array, layout: WordLayout): KexecSegmentEntry[] {
  const size = linuxKexecSegmentSize(layout.wordBytes);
  if (bytes.length % size !== 0) throw new ValidationError("kexec_segment array", `${bytes.length} bytes is not a multiple of ${size}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = layout.endianness === "little";
  const w = layout.wordBytes;
  const get = (o: number) => (w === 8 ? view.getBigUint64(o, little) : BigInt(view.getUint32(o, little)));
  const out: KexecSegmentEntry[] = [];
  for (let base = 0; base < bytes.length; base += size) {
    out.push({ buf: get(base), bufsz: get(base + w), mem: get(base + 2 * w), memsz: get(base + 3 * w) });
  }
  return out;
}
