/**
 * The contract an architecture implements to apply its ELF relocation types
 * (core owns reading, layout, symbol resolution and the apply loop; see linker.ts).
 * Notation as in the psABIs: S symbol value, A addend, P place (address of the field).
 */
import { HandoffError } from "../errors.js";

/** One relocation to apply, fully resolved. */
export interface RelocationSite {
  readonly type: number;
  /** P: the address of the field being relocated. */
  readonly place: bigint;
  /** S: the value of the symbol (Thumb functions carry bit 0, as in their st_value). */
  readonly symbol: bigint;
  /** The symbol is STT_FUNC: Arm/Thumb interworking applies only to functions. */
  readonly symbolIsFunction: boolean;
  /** A: r_addend (RELA) or the addend read from the field (REL). */
  readonly addend: bigint;
  /** The bytes to patch: exactly `fieldSize(type)` bytes, a view into the output. */
  readonly field: Uint8Array;
  /** Byte order of data fields (instruction byte order is the arch's business). */
  readonly littleEndian: boolean;
}

/** An architecture's relocation types and how to apply them. */
export interface Relocator {
  /** ELF e_machine whose objects this relocator handles. */
  readonly elfMachine: number;
  /** `R_*` type numbers with their names, including NONE. */
  readonly types: ReadonlyMap<number, string>;
  /** Whether objects of this arch normally use RELA (explicit addends). */
  readonly usesRela: boolean;
  /** Bytes the type patches (0 for NONE); undefined for a type this arch does not implement. */
  fieldSize(type: number): number | undefined;
  /** REL objects: the addend encoded in the field before relocation. */
  implicitAddend(type: number, field: Uint8Array, littleEndian: boolean): bigint;
  /** Compute and store the value; throws RelocationValueError on overflow or misalignment. */
  apply(site: RelocationSite): void;
}

/**
 * The name under which older code refers to the relocation contract.
 * @deprecated use Relocator
 */
export type RelocationInfo = Relocator;

/**
 * Thrown by a Relocator: the value does not fit the field, or is misaligned.
 * The linker adds which relocation and where (RelocationError).
 */
export class RelocationValueError extends HandoffError {
  readonly code = "E_RELOCATION_VALUE";
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Throws unless `lo <= value < hi` (the psABI "Check" column). */
export function checkRange(value: bigint, lo: bigint, hi: bigint, what: string): void {
  if (value < lo || value >= hi) {
    throw new RelocationValueError(`${what} ${signedHex(value)} overflows: must be in [${signedHex(lo)}, ${signedHex(hi)})`);
  }
}

/** Throws unless `value` fits a signed `bits`-bit field. */
export function checkSignedBits(value: bigint, bits: number, what: string): void {
  checkRange(value, -(1n << BigInt(bits - 1)), 1n << BigInt(bits - 1), what);
}

/** Throws unless `value` fits an unsigned `bits`-bit field. */
export function checkUnsignedBits(value: bigint, bits: number, what: string): void {
  checkRange(value, 0n, 1n << BigInt(bits), what);
}

/** Throws unless `value` fits `bits` bits read either as signed or as unsigned (binutils' "bitfield" check). */
export function checkBitfield(value: bigint, bits: number, what: string): void {
  checkRange(value, -(1n << BigInt(bits - 1)), 1n << BigInt(bits), what);
}

/** Throws unless `value` is a multiple of `alignment`. */
export function checkAlignment(value: bigint, alignment: bigint, what: string): void {
  if (((value % alignment) + alignment) % alignment !== 0n) {
    throw new RelocationValueError(`${what} ${signedHex(value)} is not ${alignment}-byte aligned`);
  }
}

/** Read an unsigned integer of the field's size. */
export function readField(field: Uint8Array, littleEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < field.length; i++) {
    const b = field[littleEndian ? field.length - 1 - i : i]!;
    v = (v << 8n) | BigInt(b);
  }
  return v;
}

/** Store the low `field.length * 8` bits of `value` (two's complement for negatives). */
export function writeField(field: Uint8Array, value: bigint, littleEndian: boolean): void {
  let v = BigInt.asUintN(field.length * 8, value);
  for (let i = 0; i < field.length; i++) {
    field[littleEndian ? i : field.length - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Sign-extend the low `bits` bits. */
export function signExtend(value: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, value);
}

function signedHex(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}
