/**
 * x86-64 relocation types (System V AMD64 psABI, "Relocation Types"). Every
 * 32-bit form is checked for overflow, PC-relative ones included: a field that
 * silently wraps sends the CPU somewhere else.
 */
import { RelocationValueError, checkSignedBits, checkUnsignedBits, readField, signExtend, writeField, type RelocationSite, type Relocator } from "@handoff/core/link";

/** R_X86_64_NONE: no relocation (AMD64 psABI "Relocation Types"). */
export const R_X86_64_NONE = 0;
/** R_X86_64_64: S + A, 64-bit word. */
export const R_X86_64_64 = 1;
/** R_X86_64_PC32: S + A - P, 32-bit signed word. */
export const R_X86_64_PC32 = 2;
/** R_X86_64_PLT32: L + A - P, 32-bit signed word (no PLT here, so L is S). */
export const R_X86_64_PLT32 = 4;
/** R_X86_64_32: S + A, 32-bit zero-extended word. */
export const R_X86_64_32 = 10;
/** R_X86_64_32S: S + A, 32-bit sign-extended word. */
export const R_X86_64_32S = 11;
/** R_X86_64_PC64: S + A - P, 64-bit word. */
export const R_X86_64_PC64 = 24;

const TYPES: ReadonlyMap<number, { name: string; size: number }> = new Map([
  [R_X86_64_NONE, { name: "R_X86_64_NONE", size: 0 }],
  [R_X86_64_64, { name: "R_X86_64_64", size: 8 }],
  [R_X86_64_PC32, { name: "R_X86_64_PC32", size: 4 }],
  [R_X86_64_PLT32, { name: "R_X86_64_PLT32", size: 4 }],
  [R_X86_64_32, { name: "R_X86_64_32", size: 4 }],
  [R_X86_64_32S, { name: "R_X86_64_32S", size: 4 }],
  [R_X86_64_PC64, { name: "R_X86_64_PC64", size: 8 }],
]);

/** Applies the x86-64 relocation types above to RELA sites, checking every 32-bit form for overflow. */
export class X86_64Relocator implements Relocator {
  readonly elfMachine = 62;
  readonly usesRela = true;
  readonly types: ReadonlyMap<number, string> = new Map([...TYPES].map(([k, v]) => [k, v.name]));

  fieldSize(type: number): number | undefined {
    return TYPES.get(type)?.size;
  }

  implicitAddend(type: number, field: Uint8Array, littleEndian: boolean): bigint {
    return field.length === 0 ? 0n : signExtend(readField(field, littleEndian), field.length * 8);
  }

  apply({ type, place: P, symbol: S, addend: A, field, littleEndian }: RelocationSite): void {
    let value: bigint;
    switch (type) {
      case R_X86_64_NONE:
        return;
      case R_X86_64_64:
        value = S + A;
        break;
      case R_X86_64_PC64:
        value = S + A - P;
        break;
      case R_X86_64_PC32:
      case R_X86_64_PLT32: // no PLT in a standalone object: the call goes straight to S
        value = S + A - P;
        checkSignedBits(value, 32, "S + A - P");
        break;
      case R_X86_64_32: // zero-extended by the CPU
        value = S + A;
        checkUnsignedBits(value, 32, "S + A");
        break;
      case R_X86_64_32S: // sign-extended by the CPU
        value = S + A;
        checkSignedBits(value, 32, "S + A");
        break;
      default:
        throw new RelocationValueError(`relocation type ${type} is not implemented`);
    }
    writeField(field, value, littleEndian);
  }
}

/** The shared {@link X86_64Relocator} instance used for x86-64 objects. */
export const X86_64_RELOCATOR = new X86_64Relocator();
