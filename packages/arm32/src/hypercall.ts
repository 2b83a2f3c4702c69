import { C, encodeHvcA32, encodeHvcT32, type CDataModel, type CType } from "@handoff/core/c-abi";
import { type HypercallConvention } from "@handoff/core";

/** Xen's hypercall tag: the HVC immediate must be 0xEA1 (public/arch-arm.h XEN_HYPERCALL_TAG). */
export const XEN_HYPERCALL_TAG = 0xea1;

/** AAPCS / Arm EABI (AAPCS 4.1, Table 1): ILP32, 64-bit integers 8-aligned, plain char unsigned. */
export const AAPCS_DATA_MODEL: CDataModel = {
  id: "aapcs-ilp32",
  description: "ILP32, AAPCS / EABI (long long 8-aligned, char unsigned)",
  endianness: "little",
  charSigned: false,
  types: {
    char: { size: 1, align: 1 },
    short: { size: 2, align: 2 },
    int: { size: 4, align: 4 },
    long: { size: 4, align: 4 },
    "long long": { size: 8, align: 8 },
    pointer: { size: 4, align: 4 },
  },
  source: "AAPCS 4.1, Table 1",
};

/** Xen on Arm: `xen_ulong_t` and `xen_pfn_t` are `uint64_t`, also for 32-bit guests (public/arch-arm.h). */
const ARM_XEN_TYPEDEFS: Readonly<Record<string, CType>> = {
  xen_ulong_t: C.int("uint64_t"),
  xen_pfn_t: C.int("uint64_t"),
};

/**
 * `XEN_GUEST_HANDLE(T)` on Arm is `union { T *p; uint64_aligned_t q; }`: 8
 * bytes, 8-aligned in memory even on arm32 (public/arch-arm.h); as a hypercall
 * argument (`XEN_GUEST_HANDLE_PARAM`) it is a 32-bit register.
 */
const armHandle = (target: string): CType => C.union({ p: C.ptr(target), q: C.aligned("uint64_t", 8) });

/** An arm32 guest: `hvc #0xEA1` (A32 or T32), number r12, arguments r0..r4, result r0. */
export const ARM32_XEN_CONVENTION: HypercallConvention = {
  id: "arm32",
  guestBits: 32,
  numberRegister: "r12",
  argumentRegisters: ["r0", "r1", "r2", "r3", "r4"],
  resultRegister: "r0",
  alwaysClobbered: ["r12"],
  clobbersUsedArguments: true,
  instructions: [
    { mnemonic: "hvc #0xea1", isa: "A32", bytes: encodeHvcA32(XEN_HYPERCALL_TAG), usedBy: "arm32 guest, Arm state" },
    { mnemonic: "hvc #0xea1", isa: "T32", bytes: encodeHvcT32(XEN_HYPERCALL_TAG), usedBy: "arm32 guest, Thumb state" },
  ],
  entryRule: "native",
  dataModel: AAPCS_DATA_MODEL,
  typedefs: ARM_XEN_TYPEDEFS,
  handleRepresentation: armHandle,
  sources: [
    "xen/include/public/arch-arm.h: number in r12, arguments r0..r4, result r0, HVC ISS = XEN_HYPERCALL_TAG 0xEA1, clobbers r12 and the used argument registers except r0",
  ],
};
