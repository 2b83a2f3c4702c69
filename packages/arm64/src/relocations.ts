/**
 * AArch64 relocation types (ELF for the Arm 64-bit Architecture, AAELF64,
 * "Relocation codes"), with the overflow ("Check") and alignment rules of that
 * table. Instructions are little-endian whatever the data byte order is.
 */
import { RelocationValueError, checkAlignment, checkRange, readField, signExtend, writeField, type RelocationSite, type Relocator } from "@handoff/core/link";

/** R_AARCH64_NONE: no relocation (AAELF64 "Relocation codes"). */
export const R_AARCH64_NONE = 0;
/** The withdrawn alternative spelling of NONE some tools still emit. */
export const R_AARCH64_NONE_ALT = 256;
/** R_AARCH64_ABS64: S + A, 64-bit data word. */
export const R_AARCH64_ABS64 = 257;
/** R_AARCH64_ABS32: S + A, 32-bit data word (checked to fit signed or unsigned 32 bits). */
export const R_AARCH64_ABS32 = 258;
/** R_AARCH64_PREL64: S + A - P, 64-bit data word. */
export const R_AARCH64_PREL64 = 260;
/** R_AARCH64_PREL32: S + A - P, 32-bit data word. */
export const R_AARCH64_PREL32 = 261;
/** R_AARCH64_ADR_PREL_LO21: S + A - P into ADR's 21-bit immediate. */
export const R_AARCH64_ADR_PREL_LO21 = 274;
/** R_AARCH64_ADR_PREL_PG_HI21: Page(S + A) - Page(P) into ADRP's immediate. */
export const R_AARCH64_ADR_PREL_PG_HI21 = 275;
/** R_AARCH64_ADD_ABS_LO12_NC: S + A, bits [11:0] into ADD's imm12 (no check). */
export const R_AARCH64_ADD_ABS_LO12_NC = 277;
/** R_AARCH64_LDST8_ABS_LO12_NC: S + A, bits [11:0] into an 8-bit LD/ST offset. */
export const R_AARCH64_LDST8_ABS_LO12_NC = 278;
/** R_AARCH64_JUMP26: S + A - P, bits [27:2] into B's imm26. */
export const R_AARCH64_JUMP26 = 282;
/** R_AARCH64_CALL26: S + A - P, bits [27:2] into BL's imm26. */
export const R_AARCH64_CALL26 = 283;
/** R_AARCH64_LDST16_ABS_LO12_NC: S + A, bits [11:1] into a 16-bit LD/ST offset. */
export const R_AARCH64_LDST16_ABS_LO12_NC = 284;
/** R_AARCH64_LDST32_ABS_LO12_NC: S + A, bits [11:2] into a 32-bit LD/ST offset. */
export const R_AARCH64_LDST32_ABS_LO12_NC = 285;
/** R_AARCH64_LDST64_ABS_LO12_NC: S + A, bits [11:3] into a 64-bit LD/ST offset. */
export const R_AARCH64_LDST64_ABS_LO12_NC = 286;
/** R_AARCH64_LDST128_ABS_LO12_NC: S + A, bits [11:4] into a 128-bit LD/ST offset. */
export const R_AARCH64_LDST128_ABS_LO12_NC = 299;

const TYPES: ReadonlyMap<number, { name: string; size: number }> = new Map([
  [R_AARCH64_NONE, { name: "R_AARCH64_NONE", size: 0 }],
  [R_AARCH64_NONE_ALT, { name: "R_AARCH64_NONE", size: 0 }],
  [R_AARCH64_ABS64, { name: "R_AARCH64_ABS64", size: 8 }],
  [R_AARCH64_ABS32, { name: "R_AARCH64_ABS32", size: 4 }],
  [R_AARCH64_PREL64, { name: "R_AARCH64_PREL64", size: 8 }],
  [R_AARCH64_PREL32, { name: "R_AARCH64_PREL32", size: 4 }],
  [R_AARCH64_ADR_PREL_LO21, { name: "R_AARCH64_ADR_PREL_LO21", size: 4 }],
  [R_AARCH64_ADR_PREL_PG_HI21, { name: "R_AARCH64_ADR_PREL_PG_HI21", size: 4 }],
  [R_AARCH64_ADD_ABS_LO12_NC, { name: "R_AARCH64_ADD_ABS_LO12_NC", size: 4 }],
  [R_AARCH64_LDST8_ABS_LO12_NC, { name: "R_AARCH64_LDST8_ABS_LO12_NC", size: 4 }],
  [R_AARCH64_JUMP26, { name: "R_AARCH64_JUMP26", size: 4 }],
  [R_AARCH64_CALL26, { name: "R_AARCH64_CALL26", size: 4 }],
  [R_AARCH64_LDST16_ABS_LO12_NC, { name: "R_AARCH64_LDST16_ABS_LO12_NC", size: 4 }],
  [R_AARCH64_LDST32_ABS_LO12_NC, { name: "R_AARCH64_LDST32_ABS_LO12_NC", size: 4 }],
  [R_AARCH64_LDST64_ABS_LO12_NC, { name: "R_AARCH64_LDST64_ABS_LO12_NC", size: 4 }],
  [R_AARCH64_LDST128_ABS_LO12_NC, { name: "R_AARCH64_LDST128_ABS_LO12_NC", size: 4 }],
]);

/** log2 of the access size of the LDST*_ABS_LO12_NC forms: the low 12 bits are scaled by it. */
const LDST_SCALE: ReadonlyMap<number, bigint> = new Map([
  [R_AARCH64_LDST8_ABS_LO12_NC, 0n],
  [R_AARCH64_LDST16_ABS_LO12_NC, 1n],
  [R_AARCH64_LDST32_ABS_LO12_NC, 2n],
  [R_AARCH64_LDST64_ABS_LO12_NC, 3n],
  [R_AARCH64_LDST128_ABS_LO12_NC, 4n],
]);

const page = (x: bigint) => x & ~0xfffn;

/** Applies the AArch64 relocation types above to RELA sites, with the AAELF64 overflow and alignment checks. */
export class Aarch64Relocator implements Relocator {
  readonly elfMachine = 183;
  readonly usesRela = true;
  readonly types: ReadonlyMap<number, string> = new Map([...TYPES].map(([k, v]) => [k, v.name]));

  fieldSize(type: number): number | undefined {
    return TYPES.get(type)?.size;
  }

  implicitAddend(type: number, field: Uint8Array, littleEndian: boolean): bigint {
    // AArch64 objects use RELA; a REL entry's addend is read only for the data forms.
    if (type === R_AARCH64_ABS64 || type === R_AARCH64_PREL64) return signExtend(readField(field, littleEndian), 64);
    if (type === R_AARCH64_ABS32 || type === R_AARCH64_PREL32) return signExtend(readField(field, littleEndian), 32);
    return 0n;
  }

  apply({ type, place: P, symbol: S, addend: A, field, littleEndian }: RelocationSite): void {
    const insn = () => Number(readField(field, true));
    const put = (v: number) => writeField(field, BigInt(v >>> 0), true);
    switch (type) {
      case R_AARCH64_NONE:
      case R_AARCH64_NONE_ALT:
        return;
      case R_AARCH64_ABS64:
        writeField(field, S + A, littleEndian);
        return;
      case R_AARCH64_PREL64:
        writeField(field, S + A - P, littleEndian);
        return;
      case R_AARCH64_ABS32:
        checkRange(S + A, -(1n << 31n), 1n << 32n, "S + A");
        writeField(field, S + A, littleEndian);
        return;
      case R_AARCH64_PREL32:
        checkRange(S + A - P, -(1n << 31n), 1n << 32n, "S + A - P");
        writeField(field, S + A - P, littleEndian);
        return;
      case R_AARCH64_CALL26:
      case R_AARCH64_JUMP26: {
        const x = S + A - P;
        checkAlignment(x, 4n, "branch offset S + A - P");
        checkRange(x, -(1n << 27n), 1n << 27n, "branch offset S + A - P");
        put((insn() & ~0x03ff_ffff) | Number((x >> 2n) & 0x03ff_ffffn));
        return;
      }
      case R_AARCH64_ADR_PREL_LO21: {
        const x = S + A - P;
        checkRange(x, -(1n << 20n), 1n << 20n, "S + A - P");
        put(encodeAdr(insn(), x));
        return;
      }
      case R_AARCH64_ADR_PREL_PG_HI21: {
        const x = page(S + A) - page(P);
        checkRange(x, -(1n << 32n), 1n << 32n, "Page(S + A) - Page(P)");
        put(encodeAdr(insn(), x >> 12n));
        return;
      }
      case R_AARCH64_ADD_ABS_LO12_NC:
        put(encodeImm12(insn(), (S + A) & 0xfffn));
        return;
      default: {
        const scale = LDST_SCALE.get(type);
        if (scale === undefined) throw new RelocationValueError(`relocation type ${type} is not implemented`);
        const x = S + A;
        checkAlignment(x, 1n << scale, `S + A for a ${8 << Number(scale)}-bit access`);
        put(encodeImm12(insn(), (x & 0xfffn) >> scale));
      }
    }
  }
}

/** ADR/ADRP: immlo in bits 30:29, immhi in bits 23:5. */
function encodeAdr(insn: number, imm21: bigint): number {
  const v = Number(BigInt.asUintN(21, imm21));
  return (insn & ~((0x3 << 29) | (0x7ffff << 5))) | ((v & 0x3) << 29) | (((v >>> 2) & 0x7ffff) << 5);
}

/** ADD (immediate) and LDR/STR (unsigned offset): imm12 in bits 21:10. */
function encodeImm12(insn: number, imm12: bigint): number {
  return (insn & ~(0xfff << 10)) | (Number(imm12) << 10);
}

/** The shared {@link Aarch64Relocator} instance used for AArch64 objects. */
export const AARCH64_RELOCATOR = new Aarch64Relocator();
