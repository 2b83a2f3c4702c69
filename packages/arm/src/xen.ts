import { C, type CType } from "@handoff/core/c-abi";
import { encodeHvcA32, encodeHvcT32 } from "./hvc.js";
import { type HypercallConvention, type HypercallInstruction } from "@handoff/core";
import { AAPCS_DATA_MODEL } from "./aapcs.js";

/** Xen's hypercall tag: the HVC immediate must be 0xEA1 (public/arch-arm.h XEN_HYPERCALL_TAG). */
export const XEN_HYPERCALL_TAG = 0xea1;

/** Xen on Arm: `xen_ulong_t` and `xen_pfn_t` are `uint64_t`, for 32- and 64-bit guests alike (public/arch-arm.h). */
export const ARM_XEN_TYPEDEFS: Readonly<Record<string, CType>> = {
  xen_ulong_t: C.int("uint64_t"),
  xen_pfn_t: C.int("uint64_t"),
};

/**
 * `XEN_GUEST_HANDLE(T)` on Arm is `union { T *p; uint64_aligned_t q; }`:
 * "always 8 bytes sizes and 8 bytes aligned" in memory, also for AArch32
 * guests (public/arch-arm.h); as a hypercall argument
 * (`XEN_GUEST_HANDLE_PARAM`) it is register width.
 */
export const armXenHandle = (target: string): CType => C.union({ p: C.ptr(target), q: C.aligned("uint64_t", 8) });

/** How Xen's headers name a guest handle to `target`. */
export const xenGuestHandleName = (target: string): string => `XEN_GUEST_HANDLE(${target})`;

/** Where the Arm calling convention for Xen hypercalls is written down. */
export const ARM_XEN_SOURCES: readonly string[] = [
  "xen/include/public/arch-arm.h: number in x16/r12, arguments x0..x4/r0..r4, result x0/r0, HVC ISS = XEN_HYPERCALL_TAG 0xEA1, clobbers x16/r12 and the used argument registers except x0/r0",
  "xen/arch/arm/traps.c do_trap_hypercall (debug builds write 0xDEADBEEF to the used argument registers and the number register)",
];

/** `hvc #0xEA1` in the two AArch32 instruction sets, for a 32-bit guest (on arm32 or on AArch64 Xen). */
export function aarch32XenHvc(guest: string): HypercallInstruction[] {
  return [
    { mnemonic: "hvc #0xea1", isa: "A32", bytes: encodeHvcA32(XEN_HYPERCALL_TAG), usedBy: `${guest}, Arm state` },
    { mnemonic: "hvc #0xea1", isa: "T32", bytes: encodeHvcT32(XEN_HYPERCALL_TAG), usedBy: `${guest}, Thumb state` },
  ];
}

/**
 * A 32-bit Arm guest's Xen convention: number in r12 (`prefix` "r") or w12
 * (AArch32 on AArch64, "w"), arguments 0..4, result in 0, AAPCS structs,
 * 8-byte guest handles. `extra` sets what differs (id, entry rule, narrow mode).
 */
export function aarch32XenConvention(prefix: "r" | "w", guest: string, extra: Pick<HypercallConvention, "id" | "entryRule" | "sources"> & Partial<HypercallConvention>): HypercallConvention {
  return {
    guestBits: 32,
    numberRegister: `${prefix}12`,
    argumentRegisters: [0, 1, 2, 3, 4].map((i) => `${prefix}${i}`),
    resultRegister: `${prefix}0`,
    alwaysClobbered: [`${prefix}12`],
    clobbersUsedArguments: true,
    instructions: aarch32XenHvc(guest),
    dataModel: AAPCS_DATA_MODEL,
    typedefs: ARM_XEN_TYPEDEFS,
    handleRepresentation: armXenHandle,
    handleName: xenGuestHandleName,
    ...extra,
  };
}
