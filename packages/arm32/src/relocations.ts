/**
 * AArch32 relocation types (ELF for the Arm Architecture, AAELF32,
 * "Relocation codes"). Objects use REL: addends live in the instruction or data
 * field. Thumb function symbols carry bit 0 in their value (the T bit): an Arm
 * BL to one becomes BLX(imm), and a Thumb BL to an Arm function (STT_FUNC with
 * bit 0 clear) becomes BLX; branches to plain labels are never converted.
 * Arm (A32) instructions are read and written in the object's byte order (BE32).
 */
import { RelocationValueError, checkAlignment, checkBitfield, checkRange, checkSignedBits, defineRelocator, readField, signExtend, writeField, type RelocationSite, type RelocationType, type Relocator } from "@handoff/core/link";

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

/** An Arm (A32) instruction word, read and written in the object's byte order (BE32). */
const readWord = (field: Uint8Array, le: boolean) => Number(readField(field, le));
const writeWord = (field: Uint8Array, le: boolean, v: number) => writeField(field, BigInt(v >>> 0), le);

/** B/BL/BLX(imm) A1 addend: imm24 << 2, and H (bit 24) as bit 1 for BLX(imm). */
function armBranchAddend(field: Uint8Array, le: boolean): bigint {
  const w = readWord(field, le);
  const h = (w >>> 28) === 0xf ? ((w >> 24) & 1) << 1 : 0; // BLX(imm) carries bit 1 in H
  return signExtend(BigInt(((w & 0x00ff_ffff) << 2) | h), 26);
}

/** R_ARM_CALL / R_ARM_JUMP24: ((S + A) | T) - P into an Arm B/BL, turning BL into BLX(imm) for a Thumb target. */
function patchArmBranch({ type, place: P, symbol: S, addend: A, field, littleEndian: le }: RelocationSite): void {
  const w = readWord(field, le);
  if (isThumbTarget(S)) {
    if (type === R_ARM_JUMP24) throw new RelocationValueError("B to a Thumb function needs an interworking veneer, which is not supported");
    // BL to Thumb code becomes BLX(imm): bit 1 of the offset goes into H.
    const x = signExtend(((S & ~1n) + A - P) & MASK32, 32);
    checkAlignment(x, 2n, "branch offset");
    checkRange(x, -(1n << 25n), 1n << 25n, "branch offset S + A - P");
    writeWord(field, le, 0xfa00_0000 | (Number((x >> 1n) & 1n) << 24) | Number((x >> 2n) & 0xff_ffffn));
    return;
  }
  const x = signExtend((S + A - P) & MASK32, 32);
  checkAlignment(x, 4n, "branch offset S + A - P");
  checkRange(x, -(1n << 25n), 1n << 25n, "branch offset S + A - P");
  // A BLX(imm) whose target turned out to be Arm code goes back to BL.
  const base = (w >>> 28) === 0xf ? 0xeb00_0000 : w & 0xff00_0000;
  writeWord(field, le, base | Number((x >> 2n) & 0xff_ffffn));
}

/** R_ARM_THM_CALL / R_ARM_THM_JUMP24: ((S + A) | T) - P into a Thumb BL/B.W, turning BL into BLX for an Arm function. */
function patchThumbBranch({ type, place: P, symbol: S, symbolIsFunction, addend: A, field, littleEndian: le }: RelocationSite): void {
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
}

/** The 16 bits a MOVW (low half, no overflow check) or MOVT (high half, S + A checked to 32 bits) takes. */
function movImmediate({ symbol: S, addend: A }: RelocationSite, high: boolean): number {
  if (!high) return Number((S + A) & 0xffffn);
  checkBitfield(S + A, 32, "S + A");
  return Number(((S + A) >> 16n) & 0xffffn);
}

/** An Arm MOVW/MOVT relocation: A1 encoding, addend in imm16. */
const armMov = (name: string, high: boolean): RelocationType => ({
  name,
  size: 4,
  addend: (field, le) => signExtend(decodeArmMov(readWord(field, le)), 16),
  patch: (site) => writeWord(site.field, site.littleEndian, encodeArmMov(readWord(site.field, site.littleEndian), movImmediate(site, high))),
});

/** A Thumb MOVW/MOVT relocation: T3 encoding, addend in imm16. */
const thumbMov = (name: string, high: boolean): RelocationType => ({
  name,
  size: 4,
  addend: (field, le) => signExtend(decodeThumbMov(...readThumb(field, le)), 16),
  patch: (site) => writeThumb(site.field, site.littleEndian, ...encodeThumbMov(...readThumb(site.field, site.littleEndian), movImmediate(site, high))),
});

const armBranch = (name: string): RelocationType => ({ name, size: 4, addend: armBranchAddend, patch: patchArmBranch });
const thumbBranch = (name: string): RelocationType => ({ name, size: 4, addend: (field, le) => decodeThumbBranch(...readThumb(field, le)), patch: patchThumbBranch });

/** The AArch32 relocation types above, REL: addends read from the instruction or data field. */
export const ARM_RELOCATOR: Relocator = defineRelocator({
  elfMachine: 40,
  usesRela: false,
  types: new Map<number, RelocationType>([
    [R_ARM_NONE, { name: "R_ARM_NONE", size: 0 }],
    [
      R_ARM_ABS32,
      {
        name: "R_ARM_ABS32",
        size: 4,
        value: ({ symbol: S, addend: A }) => {
          checkBitfield(S + A, 32, "S + A");
          return (S + A) & MASK32;
        },
      },
    ],
    [R_ARM_REL32, { name: "R_ARM_REL32", size: 4, value: ({ symbol: S, addend: A, place: P }) => (S + A - P) & MASK32 }],
    [R_ARM_THM_CALL, thumbBranch("R_ARM_THM_CALL")],
    [R_ARM_CALL, armBranch("R_ARM_CALL")],
    [R_ARM_JUMP24, armBranch("R_ARM_JUMP24")],
    [R_ARM_THM_JUMP24, thumbBranch("R_ARM_THM_JUMP24")],
    [
      R_ARM_PREL31,
      {
        name: "R_ARM_PREL31",
        size: 4,
        addend: (field, le) => signExtend(BigInt(readWord(field, le) & 0x7fff_ffff), 31),
        patch: ({ symbol: S, addend: A, place: P, field, littleEndian: le }) => {
          const x = signExtend((S + A - P) & MASK32, 32);
          checkSignedBits(x, 31, "S + A - P");
          writeWord(field, le, (readWord(field, le) & 0x8000_0000) | Number(x & 0x7fff_ffffn));
        },
      },
    ],
    [R_ARM_MOVW_ABS_NC, armMov("R_ARM_MOVW_ABS_NC", false)],
    [R_ARM_MOVT_ABS, armMov("R_ARM_MOVT_ABS", true)],
    [R_ARM_THM_MOVW_ABS_NC, thumbMov("R_ARM_THM_MOVW_ABS_NC", false)],
    [R_ARM_THM_MOVT_ABS, thumbMov("R_ARM_THM_MOVT_ABS", true)],
  ]),
});
