import { C, encodeHvcA32, encodeHvcA64, encodeHvcT32, type CDataModel, type CType } from "@handoff/core/c-abi";
import { type HypercallConvention } from "@handoff/core";
import { AARCH32_MODE } from "./registers.js";

/** Xen's hypercall tag: the HVC immediate must be 0xEA1 (public/arch-arm.h XEN_HYPERCALL_TAG). */
export const XEN_HYPERCALL_TAG = 0xea1;

/** AAPCS64 (Procedure Call Standard for the Arm 64-bit Architecture, 5.1 Fundamental data types): LP64. */
export const AAPCS64_DATA_MODEL: CDataModel = {
  id: "aapcs64-lp64",
  description: "LP64, AAPCS64 (char unsigned)",
  endianness: "little",
  charSigned: false,
  types: {
    char: { size: 1, align: 1 },
    short: { size: 2, align: 2 },
    int: { size: 4, align: 4 },
    long: { size: 8, align: 8 },
    "long long": { size: 8, align: 8 },
    pointer: { size: 8, align: 8 },
  },
  source: "AAPCS64 5.1, Table 1 (byte size and alignment of fundamental types)",
};

/**
 * The AAPCS (32-bit) data model an AArch32 guest's structs follow: ILP32 with
 * 8-byte-aligned 64-bit integers (AAPCS 4.1, Table 1). The arm32 package holds
 * the same facts; the layering rule forbids sharing them, so they are repeated.
 */
const AAPCS32_DATA_MODEL: CDataModel = {
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

/** Xen on Arm: `xen_ulong_t` and `xen_pfn_t` are `uint64_t` for 32- and 64-bit guests (public/arch-arm.h). */
const ARM_XEN_TYPEDEFS: Readonly<Record<string, CType>> = {
  xen_ulong_t: C.int("uint64_t"),
  xen_pfn_t: C.int("uint64_t"),
};

/**
 * `XEN_GUEST_HANDLE(T)` on Arm is `union { T *p; uint64_aligned_t q; }`:
 * "always 8 bytes sizes and 8 bytes aligned" in memory, also for AArch32
 * guests (public/arch-arm.h); `XEN_GUEST_HANDLE_PARAM` is register width.
 */
const armHandle = (target: string): CType => C.union({ p: C.ptr(target), q: C.aligned("uint64_t", 8) });

const SOURCES = [
  "xen/include/public/arch-arm.h: number in x16/r12, arguments x0..x4/r0..r4, result x0/r0, HVC ISS = XEN_HYPERCALL_TAG 0xEA1, clobbers x16/r12 and the used argument registers except x0/r0",
  "xen/arch/arm/traps.c do_trap_hypercall (debug builds write 0xDEADBEEF to the used argument registers and the number register)",
];

/** An AArch64 guest: `hvc #0xEA1`, number x16, arguments x0..x4, result x0. */
export const AARCH64_XEN_CONVENTION: HypercallConvention = {
  id: "aarch64",
  guestBits: 64,
  numberRegister: "x16",
  argumentRegisters: ["x0", "x1", "x2", "x3", "x4"],
  resultRegister: "x0",
  alwaysClobbered: ["x16"],
  clobbersUsedArguments: true,
  instructions: [{ mnemonic: "hvc #0xea1", isa: "A64", bytes: encodeHvcA64(XEN_HYPERCALL_TAG), usedBy: "AArch64 guest" }],
  entryRule: "native",
  dataModel: AAPCS64_DATA_MODEL,
  typedefs: ARM_XEN_TYPEDEFS,
  handleRepresentation: armHandle,
  sources: SOURCES,
};

/**
 * An AArch32 guest on AArch64 Xen: r12 and r0..r4 are the low halves of x12
 * and x0..x4 (Arm ARM D1.20.1); Xen zeroes the upper halves of every GPR on
 * entry from AArch32 (xen/arch/arm/arm64/entry.S, `clobber_gp_top_halves`).
 */
export const AARCH32_XEN_CONVENTION: HypercallConvention = {
  id: "aarch32",
  guestBits: 32,
  numberRegister: "w12",
  argumentRegisters: ["w0", "w1", "w2", "w3", "w4"],
  resultRegister: "w0",
  alwaysClobbered: ["w12"],
  clobbersUsedArguments: true,
  instructions: [
    { mnemonic: "hvc #0xea1", isa: "A32", bytes: encodeHvcA32(XEN_HYPERCALL_TAG), usedBy: "AArch32 guest, Arm state" },
    { mnemonic: "hvc #0xea1", isa: "T32", bytes: encodeHvcT32(XEN_HYPERCALL_TAG), usedBy: "AArch32 guest, Thumb state" },
  ],
  entryRule: "zero-upper",
  narrowMode: AARCH32_MODE,
  dataModel: AAPCS32_DATA_MODEL,
  typedefs: ARM_XEN_TYPEDEFS,
  handleRepresentation: armHandle,
  sources: [...SOURCES, "xen/arch/arm/arm64/entry.S clobber_gp_top_halves"],
};
