import { ValidationError } from "./errors.js";

/** 2^64, the point where a 64-bit sum wraps. */
export const U64_LIMIT = 1n << 64n;

/** All-ones mask of `width` bits. */
export function maskOf(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** True when `value` is representable as an unsigned `width`-bit integer. */
export function fitsUnsigned(value: bigint, width: number): boolean {
  return value >= 0n && value <= maskOf(width);
}

/** True when `value` is representable as a signed two's-complement `width`-bit integer. */
export function fitsSigned(value: bigint, width: number): boolean {
  const half = 1n << BigInt(width - 1);
  return value >= -half && value < half;
}

/** Two's-complement bit pattern of `value` in `width` bits (value must fit signed or unsigned). */
export function toBits(value: bigint, width: number): bigint {
  return BigInt.asUintN(width, value);
}

/** Sign-interpretation of a `width`-bit pattern. */
export function fromBitsSigned(bits: bigint, width: number): bigint {
  return BigInt.asIntN(width, bits);
}

/**
 * `a + b` for unsigned 64-bit quantities, refusing to wrap: callers use this for
 * every address/size sum taken from untrusted input.
 */
export function checkedAdd64(a: bigint, b: bigint, subject: string): bigint {
  if (a < 0n || b < 0n) throw new ValidationError(subject, "negative address or size");
  const sum = a + b;
  if (sum >= U64_LIMIT) {
    throw new ValidationError(
      subject,
      `0x${a.toString(16)} + 0x${b.toString(16)} wraps past 2^64`,
    );
  }
  return sum;
}

/** Whether `value` is a multiple of `alignment` (alignments of 0 and 1 accept everything). */
export function isAligned(value: bigint, alignment: bigint): boolean {
  return alignment <= 1n || value % alignment === 0n;
}

/** `value` rounded up to a multiple of `alignment` (unchanged when `alignment` is 0 or 1). */
export function alignUp(value: bigint, alignment: bigint): bigint {
  if (alignment <= 1n) return value;
  const r = value % alignment;
  return r === 0n ? value : value + (alignment - r);
}

/** `value` rounded down to a multiple of `alignment` (unchanged when `alignment` is 0 or 1). */
export function alignDown(value: bigint, alignment: bigint): bigint {
  if (alignment <= 1n) return value;
  return value - (value % alignment);
}

/** `0x…` rendering used in messages and JSON. */
export function hex(value: bigint | number): string {
  const v = BigInt(value);
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}
