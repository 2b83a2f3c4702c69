import { ValidationError, alignUp, checkedAdd64, fitsUnsigned, hex, segmentBufferLength, type EncodedHypercall, type GuestBuffer, type HypercallAbi, type Image } from "@handoff/core";
import { encodeCValue } from "@handoff/core/c-abi";
import { SegmentSet, type SegmentRules } from "@handoff/core/kexec";
import { KEXEC_OP, xenCommand } from "./hypercalls.js";
import { xenTypes } from "./types.js";

/** KEXEC_TYPE_DEFAULT / KEXEC_TYPE_CRASH (public/kexec.h). */
export const KEXEC_TYPE_DEFAULT = 0;
/** Xen public/kexec.h KEXEC_TYPE_CRASH: the image run on a crash. */
export const KEXEC_TYPE_CRASH = 1;

/**
 * Xen refuses `nr_segments >= KEXEC_SEGMENT_MAX` (16) in kexec_load
 * (xen/common/kexec.c, xen/include/xen/kimage.h): at most 15 segments.
 */
export const XEN_KEXEC_MAX_SEGMENTS = 15;

/** Xen's kimage works in 4 KiB pages on every arch that has kexec (x86). */
const PAGE = 4096n;

/** The fields of one `xen_kexec_segment_t`. */
export interface KexecSegmentValue {
  readonly buf: bigint;
  readonly buf_size: bigint;
  readonly dest_maddr: bigint;
  readonly dest_size: bigint;
}

/** A planned KEXEC_CMD_kexec_load: the encoded hypercall and where its structures are placed. */
export interface KexecLoadPlan {
  readonly encoded: EncodedHypercall;
  /** The `xen_kexec_load_t` value and where it is placed. */
  readonly load: { readonly address: bigint; readonly value: Record<string, unknown> };
  /** The counted `xen_kexec_segment_t` array and where it is placed. */
  readonly segments: { readonly address: bigint; readonly values: readonly KexecSegmentValue[]; readonly bytes: Uint8Array };
  /** Every buffer the guest must place: the load struct, the segment array, each segment's bytes. */
  readonly buffers: readonly GuestBuffer[];
}

/** Xen `KEXEC_CMD_kexec_load`'s limits over core's segment rules (xen/common/kexec.c: `nr_segments >= KEXEC_SEGMENT_MAX` refused, so 15). */
export function xenKexecRules(pageSize: bigint = PAGE, extra: Partial<SegmentRules> = {}): SegmentRules {
  return { pageSize, maxSegments: XEN_KEXEC_MAX_SEGMENTS, ...extra };
}

/**
 * Check a segment list the way Xen's kimage_alloc does (xen/common/kimage.c
 * do_kimage_alloc): core's segment rules (page-aligned dest_maddr and
 * dest_maddr + dest_size, no overlap, buf_size <= dest_size, no 2^64 wrap)
 * with Xen's count limit. Throws `SegmentSetError`.
 */
export function validateKexecSegments(segments: readonly KexecSegmentValue[]): void {
  SegmentSet.validate(
    segments.map((s, i) => ({ data: { kind: "zero" }, bufsz: s.buf_size, mem: s.dest_maddr, memsz: s.dest_size, role: "other", name: `kexec segment[${i}]` })),
    xenKexecRules(),
  );
}

/**
 * A `KEXEC_CMD_kexec_load` for `image`: one `xen_kexec_segment_t` per image
 * segment (dest = segment.mem, dest_size = memsz rounded up to a page, buf =
 * where the guest places the segment's bytes; NULL for a segment without
 * bytes), laid out for the guest's ABI at `bufferBase`: the load struct, then
 * the segment array, then each segment's bytes on its own page.
 */
export function planKexecLoad(
  abi: HypercallAbi,
  image: Image,
  options: {
    /** ELF e_machine of the image's arch (Architecture.elfMachine). */
    readonly elfMachine: number;
    readonly bufferBase: bigint;
    readonly guestBits?: 32 | 64;
    readonly type?: number;
  },
): KexecLoadPlan {
  const bits = abi.convention(options.guestBits).guestBits;
  const env = xenTypes(abi, bits);
  const loadLayout = env.layout("xen_kexec_load_t");
  const segLayout = env.layout("xen_kexec_segment_t");
  const type = options.type ?? KEXEC_TYPE_DEFAULT;
  if (type !== KEXEC_TYPE_DEFAULT && type !== KEXEC_TYPE_CRASH) throw new ValidationError("kexec_load type", `${type} is not KEXEC_TYPE_DEFAULT or KEXEC_TYPE_CRASH`);
  if (!fitsUnsigned(BigInt(options.elfMachine), 16)) throw new ValidationError("kexec_load arch", `${options.elfMachine} does not fit uint16_t`);
  if (options.bufferBase % 8n !== 0n) throw new ValidationError("kexec_load buffer base", `${hex(options.bufferBase)} is not 8-byte aligned`);

  const loadAddress = options.bufferBase;
  const arrayAddress = alignUp(checkedAdd64(loadAddress, BigInt(loadLayout.size), "kexec_load buffers"), BigInt(segLayout.align));
  let cursor = alignUp(checkedAdd64(arrayAddress, BigInt(segLayout.size * image.segments.length), "kexec_load buffers"), PAGE);
  const buffers: GuestBuffer[] = [];
  const values: KexecSegmentValue[] = image.segments.map((s, i) => {
    const length = segmentBufferLength(s);
    if (length !== s.bufsz) throw new ValidationError(`image segment[${i}]`, `bufsz ${hex(s.bufsz)} but ${hex(length)} bytes of data`);
    let buf = 0n;
    if (s.bufsz > 0n) {
      buf = cursor;
      buffers.push({ address: buf, length: s.bufsz, data: s.data, label: `segment[${i}] ${s.name ?? s.role} bytes` });
      cursor = alignUp(checkedAdd64(cursor, s.bufsz, "kexec_load buffers"), PAGE);
    }
    return { buf, buf_size: s.bufsz, dest_maddr: s.mem, dest_size: alignUp(s.memsz, PAGE) };
  });
  const limit = 1n << BigInt(bits);
  if (cursor > limit) throw new ValidationError("kexec_load buffers", `end at ${hex(cursor)} is beyond the ${bits}-bit guest's address space`);
  validateKexecSegments(values);

  const segmentBytes = new Uint8Array(segLayout.size * values.length);
  values.forEach((v, i) => {
    segmentBytes.set(encodeCValue(segLayout, { buf: { h: v.buf }, buf_size: v.buf_size, dest_maddr: v.dest_maddr, dest_size: v.dest_size }), i * segLayout.size);
  });
  const loadValue = {
    type: BigInt(type),
    arch: BigInt(options.elfMachine),
    nr_segments: BigInt(values.length),
    segments: { h: values.length ? arrayAddress : 0n },
    entry_maddr: image.entry.phys,
  };
  const loadBytes = encodeCValue(loadLayout, loadValue);
  const command = xenCommand(KEXEC_OP, "load");
  const encoded = abi.encode(KEXEC_OP, [BigInt(command.value), { address: loadAddress, bytes: loadBytes }], { guestBits: bits });
  const allBuffers: GuestBuffer[] = [
    ...encoded.buffers.map((b) => ({ ...b, label: "xen_kexec_load_t" })),
    { address: arrayAddress, length: BigInt(segmentBytes.length), data: { kind: "bytes", bytes: segmentBytes }, label: `xen_kexec_segment_t[${values.length}]` },
    ...buffers,
  ];
  return {
    encoded: { ...encoded, buffers: allBuffers },
    load: { address: loadAddress, value: loadValue },
    segments: { address: arrayAddress, values, bytes: segmentBytes },
    buffers: allBuffers,
  };
}
