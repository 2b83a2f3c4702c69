/**
 * AArch32 relocation types (ELF for the Arm Architecture, AAELF32,
 * "Relocation codes"). Objects use REL: addends live in the instruction or data
 * field. Thumb function symbols carry bit 0 in their value (the T bit): an Arm
 * BL to one becomes BLX(imm), and a Thumb BL to an Arm function (STT_FUNC with
 * bit 0 clear) becomes BLX; branches to plain labels are never converted.
 * Arm (A32) instructions are read and written in the object's byte order (BE32).
 */
import { RelocationValueError, checkAlignment, checkBitfield, checkRange, checkSignedBits, readField, signExtend, writeField, type RelocationSite, type Relocator } from "@handoff/core/link";

/** R_ARM_NONE: no relocation (AAELF32 "Relocation codes"). */
export const R_ARM_NONE = 0;
/** R_ARM_ABS32: (S + A) | T, 32-bit data word. */
export const R_ARM_ABS32 = 2;
/** R_ARM_REL32: ((S + A) | T) - P, 32-bit data word. */
export const R_ARM_REL32 = 3;
/** R_ARM_THM_CALL: ((S + A) | T) - P, Thumb BL/BLX (becomes BLX for an Arm target). */
export const R_ARM_THM_CALL = 10;
/** R_ARM_CALL: ((S + A) | T) - P, Arm BL/BLX (becomes BLX for a Thumb target). */
export const R_ARM_CALL = 28;
/** R_ARM_JUMP24: ((S + A) | T) - P, Arm B/BL with a 24-bit word offset. */
export const R_ARM_JUMP24 = 29;
/** R_ARM_THM_JUMP24: ((S + A) | T) - P, Thumb B.W with a 24-bit halfword offset. */
export const R_ARM_THM_JUMP24 = 30;
/** R_ARM_PREL31: ((S + A) | T) - P, 31-bit place-relative (exception tables). */
export const R_ARM_PREL31 = 42;
/** R_ARM_MOVW_ABS_NC: (S + A) | T, low 16 bits into an Arm MOVW (no overflow check). */
export const R_ARM_MOVW_ABS_NC = 43;
/** R_ARM_MOVT_ABS: S + A, high 16 bits into an Arm MOVT. */
export const R_ARM_MOVT_ABS = 44;
/** R_ARM_THM_MOVW_ABS_NC: (S + A) | T, low 16 bits into a Thumb MOVW (no overflow check). */
export const R_ARM_THM_MOVW_ABS_NC = 47;
/** R_ARM_THM_MOVT_ABS: S + A, high 16 bits into a Thumb MOVT. */
export const R_ARM_THM_MOVT_ABS = 48;

const TYPES: ReadonlyMap<number, string> = new Map([
  [R_ARM_NONE, "R_ARM_NONE"],
  [R_ARM_ABS32, "R_ARM_ABS32"],
  [R_ARM_REL32, "R_ARM_REL32"],
  [R_ARM_THM_CALL, "R_ARM_THM_CALL"],
  [R_ARM_CALL, "R_ARM_CALL"],
  [R_ARM_JUMP24, "R_ARM_JUMP24"],
  [R_ARM_THM_JUMP24, "R_ARM_THM_JUMP24"],
  [R_ARM_PREL31, "R_ARM_PREL31"],
  [R_ARM_MOVW_ABS_NC, "R_ARM_MOVW_ABS_NC"],
  [R_ARM_MOVT_ABS, "R_ARM_MOVT_ABS"],
  [R_ARM_THM_MOVW_ABS_NC, "R_ARM_THM_MOVW_ABS_NC"],
  [R_ARM_THM_MOVT_ABS, "R_ARM_THM_MOVT_ABS"],
]);

const MASK32 = 0xffff_ffffn;
const isThumbTarget = (S: bigint) => (S & 1n) === 1n;

/** A 32-bit Thumb-2 instruction as its two halfwords (first halfword at the lower address). */
function readThumb(field: Uint8Array, le: boolean): [number, number] {
  return [Number(readField(field.subarray(0, 2), le)), Number(readField(field.subarray(2, 4), le))];
}
function writeThumb(field: Uint8Array, le: boolean, hw1: number, hw2: number): void {
  writeField(field.subarray(0, 2), BigInt(hw1 & 0xffff), le);
  writeField(field.subarray(2, 4), BigInt(hw2 & 0xffff), le);
}

/** BL/BLX/B.W T4 encoding: imm32 = SignExtend(S:I1:I2:imm10:imm11:0), I1 = !(J1^S), I2 = !(J2^S). */
function decodeThumbBranch(hw1: number, hw2: number): bigint {
  const s = (hw1 >> 10) & 1;
  const i1 = ~((hw2 >> 13) ^ s) & 1;
  const i2 = ~((hw2 >> 11) ^ s) & 1;
  const v = (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1);
  return signExtend(BigInt(v), 25);
}
function encodeThumbBranch(hw1: number, hw2: number, offset: bigint): [number, number] {
  const v = Number(BigInt.asUintN(25, offset));
  const s = (v >> 24) & 1;
  const j1 = (~((v >> 23) & 1) & 1) ^ s;
  const j2 = (~((v >> 22) & 1) & 1) ^ s;
  return [(hw1 & 0xf800) | (s << 10) | ((v >> 12) & 0x3ff), (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | ((v >> 1) & 0x7ff)];
}

/** MOVW/MOVT A1: imm16 = imm4 (bits 19:16) : imm12 (bits 11:0). */
const decodeArmMov = (insn: number) => BigInt(((insn >> 4) & 0xf000) | (insn & 0xfff));
const encodeArmMov = (insn: number, imm16: number) => ((insn & 0xfff0_f000) | ((imm16 & 0xf000) << 4) | (imm16 & 0xfff)) >>> 0;
/** MOVW/MOVT T3: imm16 = imm4 (hw1 3:0) : i (hw1 10) : imm3 (hw2 14:12) : imm8 (hw2 7:0). */
const decodeThumbMov = (hw1: number, hw2: number) => BigInt(((hw1 & 0xf) << 12) | (((hw1 >> 10) & 1) << 11) | (((hw2 >> 12) & 7) << 8) | (hw2 & 0xff));
const encodeThumbMov = (hw1: number, hw2: number, imm16: number): [number, number] => [
  (hw1 & 0xfbf0) | ((imm16 >> 12) & 0xf) | (((imm16 >> 11) & 1) << 10),
  (hw2 & 0x8f00) | (((imm16 >> 8) & 7) << 12) | (imm16 & 0xff),
];

/** Applies the AArch32 relocation types above to REL sites (addends read from the field). */
export class ArmRelocator implements Relocator {
  readonly elfMachine = 40;
  readonly usesRela = false;
  readonly types = TYPES;

  fieldSize(type: number): number | undefined {
    return type === R_ARM_NONE ? 0 : TYPES.has(type) ? 4 : undefined;
  }

  implicitAddend(type: number, field: Uint8Array, le: boolean): bigint {
    const word = () => Number(readField(field, le));
    switch (type) {
      case R_ARM_ABS32:
      case R_ARM_REL32:
        return signExtend(readField(field, le), 32);
      case R_ARM_PREL31:
        return signExtend(BigInt(word() & 0x7fff_ffff), 31);
      case R_ARM_CALL:
      case R_ARM_JUMP24: {
        const w = word();
        const h = (w >>> 28) === 0xf ? ((w >> 24) & 1) << 1 : 0; // BLX(imm) carries bit 1 in H
        return signExtend(BigInt(((w & 0x00ff_ffff) << 2) | h), 26);
      }
      case R_ARM_MOVW_ABS_NC:
      case R_ARM_MOVT_ABS:
        return signExtend(decodeArmMov(word()), 16);
      case R_ARM_THM_CALL:
      case R_ARM_THM_JUMP24:
        return decodeThumbBranch(...readThumb(field, le));
      case R_ARM_THM_MOVW_ABS_NC:
      case R_ARM_THM_MOVT_ABS:
        return signExtend(decodeThumbMov(...readThumb(field, le)), 16);
      default:
        return 0n;
    }
  }

  apply({ type, place: P, symbol: S, symbolIsFunction, addend: A, field, littleEndian: le }: RelocationSite): void {
    const word = () => Number(readField(field, le));
    const put = (v: number) => writeField(field, BigInt(v >>> 0), le);
    switch (type) {
      case R_ARM_NONE:
        return;
      case R_ARM_ABS32:
        checkBitfield(S + A, 32, "S + A");
        writeField(field, (S + A) & MASK32, le);
        return;
      case R_ARM_REL32:
        writeField(field, (S + A - P) & MASK32, le);
        return;
      case R_ARM_PREL31: {
        const x = signExtend((S + A - P) & MASK32, 32);
        checkSignedBits(x, 31, "S + A - P");
        put((word() & 0x8000_0000) | Number(x & 0x7fff_ffffn));
        return;
      }
      case R_ARM_CALL:
      case R_ARM_JUMP24: {
        const w = word();
        if (isThumbTarget(S)) {
          if (type === R_ARM_JUMP24) throw new RelocationValueError("B to a Thumb function needs an interworking veneer, which is not supported");
          // BL to Thumb code becomes BLX(imm): bit 1 of the offset goes into H.
          const x = signExtend(((S & ~1n) + A - P) & MASK32, 32);
          checkAlignment(x, 2n, "branch offset");
          checkRange(x, -(1n << 25n), 1n << 25n, "branch offset S + A - P");
          put(0xfa00_0000 | (Number((x >> 1n) & 1n) << 24) | Number((x >> 2n) & 0xff_ffffn));
          return;
        }
        const x = signExtend((S + A - P) & MASK32, 32);
        checkAlignment(x, 4n, "branch offset S + A - P");
        checkRange(x, -(1n << 25n), 1n << 25n, "branch offset S + A - P");
        // A BLX(imm) whose target turned out to be Arm code goes back to BL.
        const base = (w >>> 28) === 0xf ? 0xeb00_0000 : w & 0xff00_0000;
        put(base | Number((x >> 2n) & 0xff_ffffn));
        return;
      }
      case R_ARM_MOVW_ABS_NC:
        put(encodeArmMov(word(), Number((S + A) & 0xffffn)));
        return;
      case R_ARM_MOVT_ABS:
        checkBitfield(S + A, 32, "S + A");
        put(encodeArmMov(word(), Number(((S + A) >> 16n) & 0xffffn)));
        return;
      case R_ARM_THM_CALL:
      case R_ARM_THM_JUMP24: {
        const [hw1, hw2] = readThumb(field, le);
        let x: bigint;
        let blx = false;
        if (isThumbTarget(S) || !symbolIsFunction) {
          // Thumb to Thumb (or to a plain label, where no interworking applies).
          x = signExtend(((S & ~1n) + A - P) & MASK32, 32);
        } else if (type === R_ARM_THM_JUMP24) {
          throw new RelocationValueError("B.W to an Arm function needs an interworking veneer, which is not supported");
        } else {
          // BL from Thumb to Arm code becomes BLX, relative to Align(P, 4).
          blx = true;
          x = signExtend((S + A - (P & ~3n)) & MASK32, 32);
          checkAlignment(x, 4n, "branch offset S + A - Align(P, 4)");
        }
        checkAlignment(x, 2n, "branch offset");
        checkRange(x, -(1n << 24n), 1n << 24n, "branch offset");
        let [n1, n2] = encodeThumbBranch(hw1, hw2, x);
        if (type === R_ARM_THM_CALL) n2 = blx ? n2 & ~0x1001 : n2 | 0x1000; // bit 12: BL (1) or BLX (0); BLX clears H
        writeThumb(field, le, n1, n2);
        return;
      }
      case R_ARM_THM_MOVW_ABS_NC:
        writeThumb(field, le, ...encodeThumbMov(...readThumb(field, le), Number((S + A) & 0xffffn)));
        return;
      case R_ARM_THM_MOVT_ABS:
        checkBitfield(S + A, 32, "S + A");
        writeThumb(field, le, ...encodeThumbMov(...readThumb(field, le), Number(((S + A) >> 16n) & 0xffffn)));
        return;
      default:
        throw new RelocationValueError(`relocation type ${type} is not implemented`);
    }
  }
}

/** The shared {@link ArmRelocator} instance used for AArch32 objects. */
export const ARM_RELOCATOR = new ArmRelocator();
