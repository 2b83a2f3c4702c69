import type { CDataModel } from "@handoff/core/c-abi";

/** Fundamental C types whose size and alignment the two Arm procedure-call standards share. */
const COMMON_TYPES = {
  char: { size: 1, align: 1 },
  short: { size: 2, align: 2 },
  int: { size: 4, align: 4 },
  "long long": { size: 8, align: 8 },
} as const;

/**
 * AAPCS / Arm EABI (AAPCS 4.1, Table 1): ILP32, 64-bit integers 8-aligned,
 * plain char unsigned. An AArch32 guest's structs follow it, also on an AArch64 host.
 */
export const AAPCS_DATA_MODEL: CDataModel = {
  id: "aapcs-ilp32",
  description: "ILP32, AAPCS / EABI (long long 8-aligned, char unsigned)",
  endianness: "little",
  charSigned: false,
  types: { ...COMMON_TYPES, long: { size: 4, align: 4 }, pointer: { size: 4, align: 4 } },
  source: "AAPCS 4.1, Table 1",
};

/** AAPCS64 (Procedure Call Standard for the Arm 64-bit Architecture, 5.1 Fundamental data types): LP64. */
export const AAPCS64_DATA_MODEL: CDataModel = {
  id: "aapcs64-lp64",
  description: "LP64, AAPCS64 (char unsigned)",
  endianness: "little",
  charSigned: false,
  types: { ...COMMON_TYPES, long: { size: 8, align: 8 }, pointer: { size: 8, align: 8 } },
  source: "AAPCS64 5.1, Table 1 (byte size and alignment of fundamental types)",
};
