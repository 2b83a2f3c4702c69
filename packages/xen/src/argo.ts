import { ValidationError, hex, type EncodedHypercall, type HypercallAbi } from "@handoff/core";
import { encodeCValue } from "@handoff/core/c-abi";
import { ARGO_OP, xenCommand } from "./hypercalls.js";
import { xenTypes } from "./types.js";

/** XEN_ARGO_MAXIOV: most iovs one sendv accepts (public/argo.h). */
export const XEN_ARGO_MAXIOV = 8;
/** XEN_ARGO_MAX_RING_SIZE: 16 MiB (public/argo.h). */
export const XEN_ARGO_MAX_RING_SIZE = 0x1000000;
/** XEN_ARGO_MSG_SLOT_SIZE: messages are padded to 16 bytes (public/argo.h). */
export const XEN_ARGO_MSG_SLOT_SIZE = 0x10;
/** sizeof(struct xen_argo_ring_message_header): len + xen_argo_addr_t + message_type, same on every arch. */
export const XEN_ARGO_MESSAGE_HEADER_SIZE = 16;
/**
 * Largest message on the largest ring: MAX_RING_SIZE - header - one slot
 * (MAX_ARGO_MESSAGE_SIZE, xen/common/argo.c) = 0xffffe0.
 */
export const XEN_ARGO_MAX_MESSAGE_SIZE = XEN_ARGO_MAX_RING_SIZE - XEN_ARGO_MESSAGE_HEADER_SIZE - XEN_ARGO_MSG_SLOT_SIZE;
/** sizeof(xen_argo_ring_t): rx_ptr, tx_ptr, reserved[56]. */
export const XEN_ARGO_RING_HEADER_SIZE = 64;
/** Smallest ring register_ring accepts: a header plus two slots (xen/common/argo.c register_ring). */
export const XEN_ARGO_MIN_RING_SIZE = XEN_ARGO_MESSAGE_HEADER_SIZE + 2 * XEN_ARGO_MSG_SLOT_SIZE;
/** XEN_ARGO_REGISTER_FLAG_FAIL_EXIST, the only register flag. */
export const XEN_ARGO_REGISTER_FLAG_FAIL_EXIST = 1;

const PAGE = 4096;

/** An Argo address (`xen_argo_addr_t`): port and domain id. */
export interface ArgoAddr {
  readonly aport: number;
  readonly domainId: number;
}

/** Pages a ring of `len` bytes needs (NPAGES_RING, xen/common/argo.c). */
export function argoRingPages(len: number): number {
  return Math.ceil((Math.ceil(len / XEN_ARGO_MSG_SLOT_SIZE) * XEN_ARGO_MSG_SLOT_SIZE + XEN_ARGO_RING_HEADER_SIZE) / PAGE);
}

/** Check a ring length and page count the way register_ring does; typed error naming the rule. */
export function validateArgoRing(len: number, npages: number): void {
  const subject = "argo register_ring";
  if (!Number.isInteger(len) || len < XEN_ARGO_MIN_RING_SIZE) throw new ValidationError(subject, `len ${len} is below the minimum ${XEN_ARGO_MIN_RING_SIZE}`);
  if (len > XEN_ARGO_MAX_RING_SIZE) throw new ValidationError(subject, `len ${hex(len)} exceeds XEN_ARGO_MAX_RING_SIZE ${hex(XEN_ARGO_MAX_RING_SIZE)}`);
  if (len % XEN_ARGO_MSG_SLOT_SIZE !== 0) throw new ValidationError(subject, `len ${len} is not a multiple of ${XEN_ARGO_MSG_SLOT_SIZE}`);
  if (npages !== argoRingPages(len)) throw new ValidationError(subject, `npages ${npages}, a ${len}-byte ring needs ${argoRingPages(len)}`);
}

/** XEN_ARGO_OP_register_ring: ring struct at `address`, gfn array at `gfnAddress`. */
export function argoRegisterRing(
  abi: HypercallAbi,
  ring: { readonly aport: number; readonly partnerId: number; readonly len: number; readonly gfns: readonly bigint[]; readonly failExist?: boolean },
  options: { readonly address: bigint; readonly gfnAddress: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  validateArgoRing(ring.len, ring.gfns.length);
  const env = xenTypes(abi, options.guestBits);
  const reg = encodeCValue(env.layout("xen_argo_register_ring_t"), { aport: BigInt(ring.aport), partner_id: BigInt(ring.partnerId), len: BigInt(ring.len) });
  const gfn = env.layout("xen_argo_gfn_t");
  const gfns = new Uint8Array(gfn.size * ring.gfns.length);
  ring.gfns.forEach((g, i) => gfns.set(encodeCValue(gfn, g), i * gfn.size));
  const cmd = xenCommand(ARGO_OP, "register_ring");
  return abi.encode(
    ARGO_OP,
    [BigInt(cmd.value), { address: options.address, bytes: reg }, { address: options.gfnAddress, bytes: gfns }, BigInt(ring.gfns.length), ring.failExist ? 1n : 0n],
    { guestBits: options.guestBits },
  );
}

/** XEN_ARGO_OP_unregister_ring: arg2 NULL, arg3 and arg4 zero. */
export function argoUnregisterRing(
  abi: HypercallAbi,
  ring: { readonly aport: number; readonly partnerId: number },
  options: { readonly address: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  const env = xenTypes(abi, options.guestBits);
  const bytes = encodeCValue(env.layout("xen_argo_unregister_ring_t"), { aport: BigInt(ring.aport), partner_id: BigInt(ring.partnerId) });
  return abi.encode(ARGO_OP, [BigInt(xenCommand(ARGO_OP, "unregister_ring").value), { address: options.address, bytes }, 0n, 0n, 0n], { guestBits: options.guestBits });
}

/**
 * XEN_ARGO_OP_sendv: send address struct at `address`, the `xen_argo_iov_t`
 * array at `iovAddress`. Checks what Xen checks before copying: niov <=
 * XEN_ARGO_MAXIOV, each iov_len and their sum <= XEN_ARGO_MAX_MESSAGE_SIZE
 * (iov_count, xen/common/argo.c); message type must fit 32 bits (arg4).
 */
export function argoSendv(
  abi: HypercallAbi,
  message: { readonly src: ArgoAddr; readonly dst: ArgoAddr; readonly iovs: readonly { readonly address: bigint; readonly length: number }[]; readonly messageType: bigint },
  options: { readonly address: bigint; readonly iovAddress: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  if (message.iovs.length > XEN_ARGO_MAXIOV) throw new ValidationError("argo sendv", `${message.iovs.length} iovs; XEN_ARGO_MAXIOV is ${XEN_ARGO_MAXIOV}`);
  let sum = 0;
  message.iovs.forEach((iov, i) => {
    if (!Number.isInteger(iov.length) || iov.length < 0 || iov.length > XEN_ARGO_MAX_MESSAGE_SIZE) {
      throw new ValidationError(`argo sendv iov[${i}]`, `iov_len ${iov.length} exceeds the maximum message size ${hex(XEN_ARGO_MAX_MESSAGE_SIZE)}`);
    }
    sum += iov.length;
  });
  if (sum > XEN_ARGO_MAX_MESSAGE_SIZE) throw new ValidationError("argo sendv", `total ${sum} bytes exceeds the maximum message size ${hex(XEN_ARGO_MAX_MESSAGE_SIZE)}`);
  const env = xenTypes(abi, options.guestBits);
  const addr = (a: ArgoAddr) => ({ aport: BigInt(a.aport), domain_id: BigInt(a.domainId) });
  const send = encodeCValue(env.layout("xen_argo_send_addr_t"), { src: addr(message.src), dst: addr(message.dst) });
  const iovLayout = env.layout("xen_argo_iov_t");
  const iovs = new Uint8Array(iovLayout.size * message.iovs.length);
  message.iovs.forEach((iov, i) => iovs.set(encodeCValue(iovLayout, { iov_hnd: iov.address, iov_len: BigInt(iov.length) }), i * iovLayout.size));
  if (options.iovAddress % BigInt(iovLayout.align) !== 0n) throw new ValidationError("argo sendv", `iov array at ${hex(options.iovAddress)} is not ${iovLayout.align}-byte aligned`);
  return abi.encode(
    ARGO_OP,
    [BigInt(xenCommand(ARGO_OP, "sendv").value), { address: options.address, bytes: send }, { address: options.iovAddress, bytes: iovs }, BigInt(message.iovs.length), message.messageType],
    { guestBits: options.guestBits },
  );
}

/** XEN_ARGO_OP_notify for the rings in `rings` (ring_data at `address`), or NULL for a plain notify. */
export function argoNotify(
  abi: HypercallAbi,
  rings: readonly { readonly ring: ArgoAddr; readonly spaceRequired: number }[] | undefined,
  options: { readonly address: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  const cmd = BigInt(xenCommand(ARGO_OP, "notify").value);
  if (!rings) return abi.encode(ARGO_OP, [cmd, 0n, 0n, 0n, 0n], { guestBits: options.guestBits });
  const env = xenTypes(abi, options.guestBits);
  const bytes = encodeCValue(env.layout("xen_argo_ring_data_t"), {
    nent: BigInt(rings.length),
    data: rings.map((r) => ({ ring: { aport: BigInt(r.ring.aport), domain_id: BigInt(r.ring.domainId) }, space_required: BigInt(r.spaceRequired) })),
  });
  return abi.encode(ARGO_OP, [cmd, { address: options.address, bytes }, 0n, 0n, 0n], { guestBits: options.guestBits });
}

/** Bytes a message of `payload` bytes takes on a ring: header + payload, padded to a slot. */
export function argoMessageFootprint(payload: number): number {
  return Math.ceil((XEN_ARGO_MESSAGE_HEADER_SIZE + payload) / XEN_ARGO_MSG_SLOT_SIZE) * XEN_ARGO_MSG_SLOT_SIZE;
}
