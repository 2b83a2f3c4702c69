/*
 * Hand-written encoders of Xen's kexec structures for a given guest handle
 * width, independent of the C layout engine (kexec.ts builds the same bytes
 * from the catalogue's types; the tests hold the two against each other).
 */
import { ValidationError, fitsUnsigned, hex } from "@handoff/core";
import type { KexecSegmentEntry } from "@handoff/core/kexec";

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
