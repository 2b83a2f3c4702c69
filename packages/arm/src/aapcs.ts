import { cDataModel, type CDataModel } from "@handoff/core/c-abi";

/**
 * AAPCS / Arm EABI (AAPCS 4.1, Table 1): ILP32, 64-bit integers 8-aligned,
 * plain char unsigned. An AArch32 guest's structs follow it, also on an AArch64 host.
 */
export const AAPCS_DATA_MODEL: CDataModel = cDataModel({
  id: "aapcs-ilp32",
  description: "ILP32, AAPCS / EABI (long long 8-aligned, char unsigned)",
  charSigned: false,
  long: 4,
  pointer: 4,
  longLongAlign: 8,
  source: "AAPCS 4.1, Table 1",
});

/** AAPCS64 (Procedure Call Standard for the Arm 64-bit Architecture, 5.1 Fundamental data types): LP64. */
export const AAPCS64_DATA_MODEL: CDataModel = cDataModel({
  id: "aapcs64-lp64",
  description: "LP64, AAPCS64 (char unsigned)",
  charSigned: false,
  long: 8,
  pointer: 8,
  longLongAlign: 8,
  source: "AAPCS64 5.1, Table 1 (byte size and alignment of fundamental types)",
});
