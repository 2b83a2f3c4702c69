import type { WalkResult } from "@handoff/core/paging";

/*
 * The stage 1 long-descriptor leaf (a block or page descriptor) as the ARMv7
 * LPAE walker (DDI 0406C B3.6.2) and the VMSAv8-64 walker (DDI 0487 D8.3) both
 * read it: AP[2] (bit 7) read-only, AP[1] (bit 6) EL0/PL0 access, AttrIndx
 * (bits 4:2) selecting a MAIR byte. Execute rights differ between the two
 * (ARMv7's XN also binds PL1), so each walker decides them.
 */

/** What the table descriptors above a leaf withheld (APTable bits). */
export interface LongDescriptorLimits {
  readonly noUser: boolean;
  readonly noWrite: boolean;
}

/**
 * The translation of `va` through leaf `d` at `level`: output address `out`
 * (the descriptor's OA bits), a page of 2^`lsb` bytes, rights from AP[2:1] and
 * `limits`, `executable(user)` from the walker's XN rules, and the memory type
 * `memoryType` names for the MAIR attribute byte AttrIndx selects in `mair`.
 */
export function longDescriptorLeaf(
  va: bigint,
  d: bigint,
  out: bigint,
  lsb: number,
  level: number,
  limits: LongDescriptorLimits,
  executable: (user: boolean) => boolean,
  mair: bigint,
  memoryType: (attr: bigint) => string,
): WalkResult {
  const bit = (n: bigint) => ((d >> n) & 1n) === 1n;
  const pageSize = 1n << BigInt(lsb);
  const user = bit(6n) && !limits.noUser;
  const writable = !bit(7n) && !limits.noWrite;
  const attr = (mair >> (8n * ((d >> 2n) & 7n))) & 0xffn;
  return {
    kind: "translation",
    va,
    pa: (out & ~(pageSize - 1n)) | (va & (pageSize - 1n)),
    pageSize,
    level,
    attributes: { writable, executable: executable(user), user, memoryType: memoryType(attr) },
  };
}
