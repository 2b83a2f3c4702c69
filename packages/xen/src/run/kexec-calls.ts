import { alignUp } from "@handoff/core";
import type { KexecLoadSegment } from "@handoff/core/kexec";
import { KEXEC_TYPE_DEFAULT, validateKexecSegments } from "../kexec.js";
import type { XenRunCallSpec } from "./script.js";

const PAGE = 4096n;

/**
 * The two calls that hand the machine to a planned kexec image through Xen
 * (xen/common/kexec.c): `KEXEC_CMD_kexec_load` of a KEXEC_TYPE_DEFAULT image
 * whose `xen_kexec_segment_t` array names each segment's bytes in the
 * payload's bulk area (guest handles: dom0 addresses) and its machine
 * destination, then `KEXEC_CMD_kexec`. A default image needs no crash area:
 * Xen copies the segments into pages of its own and moves them to their
 * destinations only at the handover (xen/common/kimage.c). Segments are
 * checked against Xen's rules first (SegmentSetError).
 */
export function xenKexecCalls(plan: { readonly entry: bigint; readonly segments: readonly KexecLoadSegment[] }, elfMachine: number): XenRunCallSpec[] {
  const segments = plan.segments.map((s) => ({ buf: s.bytes.length ? 1n : 0n, buf_size: BigInt(s.bytes.length), dest_maddr: s.mem, dest_size: alignUp(s.memsz, PAGE) }));
  validateKexecSegments(segments);
  const load = {
    type: KEXEC_TYPE_DEFAULT,
    arch: elfMachine,
    nr_segments: segments.length,
    segments: {
      h: {
        type: "xen_kexec_segment_t[]",
        value: plan.segments.map((s, i) => ({ buf: { h: s.bytes.length ? { bytes: s.bytes } : 0 }, buf_size: String(s.bytes.length), dest_maddr: `0x${s.mem.toString(16)}`, dest_size: `0x${segments[i]!.dest_size.toString(16)}` })),
      },
    },
    entry_maddr: `0x${plan.entry.toString(16)}`,
  };
  return [
    { call: "kexec_op", command: "load", struct: load },
    { call: "kexec_op", command: "exec", struct: { type: KEXEC_TYPE_DEFAULT } },
  ];
}
