import { fitsUnsigned, hex } from "./bits.js";
import { ValidationError } from "./errors.js";

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
/* KEXEC_ARCH_* values are the ELF machine shifted left by 16. */
/** Linux kexec.h KEXEC_ARCH_DEFAULT: the running kernel's own architecture. */
export const KEXEC_ARCH_DEFAULT = 0n;
/** Linux kexec.h KEXEC_ARCH_386: EM_386 (3) << 16. */
export const KEXEC_ARCH_386 = 3n << 16n;
/** Linux kexec.h KEXEC_ARCH_ARM: EM_ARM (40) << 16. */
export const KEXEC_ARCH_ARM = 40n << 16n;
/** Linux kexec.h KEXEC_ARCH_X86_64: EM_X86_64 (62) << 16. */
export const KEXEC_ARCH_X86_64 = 62n << 16n;
/** Linux kexec.h KEXEC_ARCH_AARCH64: EM_AARCH64 (183) << 16. */
export const KEXEC_ARCH_AARCH64 = 183n << 16n;

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

/*
 * Xen xen/include/public/kexec.h:
 *   typedef struct xen_kexec_segment {
 *       union { XEN_GUEST_HANDLE(const_void) h; uint64_t _pad; } buf;
 *       uint64_t buf_size; uint64_t dest_maddr; uint64_t dest_size;
 *   } xen_kexec_segment_t;
 * The union pads the handle to 8 bytes and every other field is uint64_t, so
 * the entry is 32 bytes on every arch; on x86_32 the 4-byte handle sits in the
 * union's first bytes (low half on little endian) and the pad is zero.
 */
/** Size of `xen_kexec_segment_t`: 32 bytes on every arch (see the layout above). */
export const XEN_KEXEC_SEGMENT_SIZE = 32;
const XEN_SEG_BUF = 0;
const XEN_SEG_BUF_SIZE = 8;
const XEN_SEG_DEST_MADDR = 16;
const XEN_SEG_DEST_SIZE = 24;

/*
 *   typedef struct xen_kexec_load {
 *       uint8_t type; uint8_t _pad; uint16_t arch; uint32_t nr_segments;
 *       union { XEN_GUEST_HANDLE(xen_kexec_segment_t) h; uint64_t _pad; } segments;
 *       uint64_t entry_maddr;
 *   } xen_kexec_load_t;     -> 24 bytes
 */
/** Size of `xen_kexec_load_t`: 24 bytes (see the layout above). */
export const XEN_KEXEC_LOAD_SIZE = 24;
/** xen/include/public/kexec.h KEXEC_CMD_kexec_load: the kexec hypercall sub-op that loads an image. */
export const KEXEC_CMD_KEXEC_LOAD = 4;
/** xen/include/public/kexec.h KEXEC_TYPE_DEFAULT / KEXEC_TYPE_CRASH. */
export const XEN_KEXEC_TYPE_DEFAULT = 0;
/** xen/include/public/kexec.h KEXEC_TYPE_CRASH: the image run on a crash. */
export const XEN_KEXEC_TYPE_CRASH = 1;

/** Guest handle width and byte order of the Xen guest ABI, which fix how handles are written into kexec structures. */
export interface XenLayout {
  /** Bytes of a guest handle in memory: 4 on x86_32, 8 elsewhere (arm32 included). */
  readonly handleBytes: 4 | 8;
  readonly endianness: "little" | "big";
}

function putHandle(view: DataView, offset: number, value: bigint, layout: XenLayout, what: string): void {
  const little = layout.endianness === "little";
  if (!fitsUnsigned(value, layout.handleBytes * 8)) throw new ValidationError(what, `${hex(value)} does not fit a ${layout.handleBytes * 8}-bit guest handle`);
  if (layout.handleBytes === 8) view.setBigUint64(offset, value, little);
  else view.setUint32(offset, Number(value), little); // every union member starts at offset 0; the pad bytes stay zero
}

/** The `xen_kexec_segment_t` array for KEXEC_CMD_kexec_load. */
export function encodeXenKexecSegments(segments: readonly KexecSegmentEntry[], layout: XenLayout): Uint8Array {
  const out = new Uint8Array(XEN_KEXEC_SEGMENT_SIZE * segments.length);
  const view = new DataView(out.buffer);
  const little = layout.endianness === "little";
  segments.forEach((s, i) => {
    const base = i * XEN_KEXEC_SEGMENT_SIZE;
    const what = `xen_kexec_segment[${i}]`;
    putHandle(view, base + XEN_SEG_BUF, s.buf, layout, `${what}.buf`);
    for (const [off, v, name] of [
      [XEN_SEG_BUF_SIZE, s.bufsz, "buf_size"],
      [XEN_SEG_DEST_MADDR, s.mem, "dest_maddr"],
      [XEN_SEG_DEST_SIZE, s.memsz, "dest_size"],
    ] as const) {
      if (!fitsUnsigned(v, 64)) throw new ValidationError(`${what}.${name}`, `${hex(v)} does not fit 64 bits`);
      view.setBigUint64(base + off, v, little);
    }
  });
  return out;
}

/** The `xen_kexec_load_t` argument: type, arch (ELF machine), count, handle of the segment array, entry. */
export function encodeXenKexecLoad(
  load: { readonly type: number; readonly elfMachine: number; readonly nrSegments: number; readonly segments: bigint; readonly entry: bigint },
  layout: XenLayout,
): Uint8Array {
  const out = new Uint8Array(XEN_KEXEC_LOAD_SIZE);
  const view = new DataView(out.buffer);
  const little = layout.endianness === "little";
  if (!Number.isInteger(load.type) || load.type < 0 || load.type > 0xff) throw new ValidationError("xen_kexec_load.type", `${load.type} does not fit uint8_t`);
  if (!Number.isInteger(load.elfMachine) || load.elfMachine < 0 || load.elfMachine > 0xffff) throw new ValidationError("xen_kexec_load.arch", `${load.elfMachine} does not fit uint16_t`);
  if (!Number.isInteger(load.nrSegments) || load.nrSegments < 0 || load.nrSegments > 0xffffffff) throw new ValidationError("xen_kexec_load.nr_segments", `${load.nrSegments} does not fit uint32_t`);
  if (!fitsUnsigned(load.entry, 64)) throw new ValidationError("xen_kexec_load.entry_maddr", `${hex(load.entry)} does not fit 64 bits`);
  view.setUint8(0, load.type);
  view.setUint16(2, load.elfMachine, little);
  view.setUint32(4, load.nrSegments, little);
  putHandle(view, 8, load.segments, layout, "xen_kexec_load.segments");
  view.setBigUint64(16, load.entry, little);
  return out;
}
