import { ValidationError, type EncodedHypercall, type HypercallAbi } from "@handoff/core";
import { encodeCValue } from "@handoff/core/c-abi";
import { MEMORY_OP, encodeXenCommand, xenCommand } from "./hypercalls.js";
import { xenTypes } from "./types.js";

/** DOMID_SELF (public/xen.h). */
export const DOMID_SELF = 0x7ff0;

/** XENMAPSPACE_* (public/memory.h). */
export const XENMAPSPACE = { shared_info: 0, grant_table: 1, gmfn: 2, gmfn_range: 3, gmfn_foreign: 4, dev_mmio: 5 } as const;

/**
 * XENMEM_increase_reservation / decrease_reservation / populate_physmap with
 * a `xen_memory_reservation_t` at `address` and its `xen_pfn_t` extent list at
 * `extentAddress` (xen_pfn_t is unsigned long on x86, uint64_t on Arm).
 */
export function memoryReservation(
  abi: HypercallAbi,
  command: "increase_reservation" | "decrease_reservation" | "populate_physmap",
  r: { readonly extents: readonly bigint[]; readonly extentOrder: number; readonly memFlags?: number; readonly domid?: number },
  options: { readonly address: bigint; readonly extentAddress: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  const env = xenTypes(abi, options.guestBits);
  if (!Number.isInteger(r.extentOrder) || r.extentOrder < 0 || r.extentOrder > 63) throw new ValidationError("xen_memory_reservation", `extent_order ${r.extentOrder}`);
  const pfn = env.layout("xen_pfn_t");
  const list = new Uint8Array(pfn.size * r.extents.length);
  r.extents.forEach((e, i) => list.set(encodeCValue(pfn, e), i * pfn.size));
  const enc = encodeXenCommand(abi, MEMORY_OP, xenCommand(MEMORY_OP, command), {
    extent_start: options.extentAddress,
    nr_extents: BigInt(r.extents.length),
    extent_order: BigInt(r.extentOrder),
    mem_flags: BigInt(r.memFlags ?? 0),
    domid: BigInt(r.domid ?? DOMID_SELF),
  }, { address: options.address, guestBits: options.guestBits });
  return { ...enc, buffers: [...enc.buffers, { address: options.extentAddress, length: BigInt(list.length), data: { kind: "bytes", bytes: list }, label: `xen_pfn_t[${r.extents.length}]` }] };
}

/** XENMEM_memory_map: room for `entries` e820 entries (20 bytes each) in the buffer at `bufferAddress`. */
export function memoryMap(abi: HypercallAbi, entries: number, options: { readonly address: bigint; readonly bufferAddress: bigint; readonly guestBits?: 32 | 64 }): EncodedHypercall {
  return encodeXenCommand(abi, MEMORY_OP, xenCommand(MEMORY_OP, "memory_map"), { nr_entries: BigInt(entries), buffer: options.bufferAddress }, options);
}

/** XENMEM_add_to_physmap: map page `idx` of `space` at `gpfn`. */
export function addToPhysmap(
  abi: HypercallAbi,
  m: { readonly space: number; readonly idx: bigint; readonly gpfn: bigint; readonly size?: number; readonly domid?: number },
  options: { readonly address: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  return encodeXenCommand(abi, MEMORY_OP, xenCommand(MEMORY_OP, "add_to_physmap"), {
    domid: BigInt(m.domid ?? DOMID_SELF),
    size: BigInt(m.size ?? 0),
    space: BigInt(m.space),
    idx: m.idx,
    gpfn: m.gpfn,
  }, options);
}
