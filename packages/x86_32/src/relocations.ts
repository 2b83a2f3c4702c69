/**
 * i386 relocation types (System V i386 psABI, "Relocation Types"). i386 objects
 * use REL: the addend is the field's current contents. Values must fit 32 bits
 * read as signed or unsigned (the address space is 32 bits wide).
 */
import { RelocationValueError, checkBitfield, readField, signExtend, writeField, type RelocationSite, type Relocator } from "@handoff/core/link";

/** R_386_NONE: no relocation (i386 psABI "Relocation Types"). */
export const R_386_NONE = 0;
/** R_386_32: S + A, 32-bit word. */
export const R_386_32 = 1;
/** R_386_PC32: S + A - P, 32-bit word. */
export const R_386_PC32 = 2;
/** R_386_PLT32: L + A - P, 32-bit word (no PLT here, so L is S). */
export const R_386_PLT32 = 4;

const TYPES: ReadonlyMap<number, { name: string; size: number }> = new Map([
  [R_386_NONE, { name: "R_386_NONE", size: 0 }],
  [R_386_32, { name: "R_386_32", size: 4 }],
  [R_386_PC32, { name: "R_386_PC32", size: 4 }],
  [R_386_PLT32, { name: "R_386_PLT32", size: 4 }],
]);

/** Applies the i386 relocation types above to REL sites (addend is the field's contents). */
export class I386Relocator implements Relocator {
  readonly elfMachine = 3;
  readonly usesRela = false;
  readonly types: ReadonlyMap<number, string> = new Map([...TYPES].map(([k, v]) => [k, v.name]));

  fieldSize(type: number): number | undefined {
    return TYPES.get(type)?.size;
  }

  implicitAddend(_type: number, field: Uint8Array, littleEndian: boolean): bigint {
    return field.length === 0 ? 0n : signExtend(readField(field, littleEndian), 32);
  }

  apply({ type, place: P, symbol: S, addend: A, field, littleEndian }: RelocationSite): void {
    let value: bigint;
    switch (type) {
      case R_386_NONE:
        return;
      case R_386_32:
        value = S + A;
        checkBitfield(value, 32, "S + A");
        break;
      case R_386_PC32:
      case R_386_PLT32: // no PLT in a standalone object
        value = S + A - P;
        checkBitfield(value, 32, "S + A - P");
        break;
      default:
        throw new RelocationValueError(`relocation type ${type} is not implemented`);
    }
    writeField(field, value, littleEndian);
  }
}

/** The shared {@link I386Relocator} instance used for i386 objects. */
export const I386_RELOCATOR = new I386Relocator();
