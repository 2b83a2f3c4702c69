// Arm HVC trap encodings (A64, A32, T32), shared by arm32 and arm64 guests.
import { ValidationError } from "@handoff/core";

/** A64 `HVC #imm16`: 0xd4000002 | imm16 << 5 (Arm ARM C6.2 HVC). */
export function encodeHvcA64(imm16: number): Uint8Array {
  checkImm16(imm16);
  return le32((0xd4000002 | (imm16 << 5)) >>> 0);
}

/** A32 `HVC #imm16` (cond must be AL): 0xe1400070 | imm16[15:4] << 8 | imm16[3:0] (Arm ARM F5.1 HVC, encoding A1). */
export function encodeHvcA32(imm16: number): Uint8Array {
  checkImm16(imm16);
  return le32((0xe1400070 | ((imm16 >> 4) << 8) | (imm16 & 0xf)) >>> 0);
}

/** T32 `HVC #imm16`: 0xf7e0 | imm16[15:12], then 0x8000 | imm16[11:0], each halfword little-endian (Arm ARM F5.1 HVC, encoding T1). */
export function encodeHvcT32(imm16: number): Uint8Array {
  checkImm16(imm16);
  const hw1 = 0xf7e0 | (imm16 >> 12);
  const hw2 = 0x8000 | (imm16 & 0xfff);
  return new Uint8Array([hw1 & 0xff, hw1 >> 8, hw2 & 0xff, hw2 >> 8]);
}

function checkImm16(imm16: number): void {
  if (!Number.isInteger(imm16) || imm16 < 0 || imm16 > 0xffff) throw new ValidationError("HVC immediate", `${imm16} is not a 16-bit value`);
}

function le32(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}
