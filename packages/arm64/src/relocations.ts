/**
 * AArch64 relocation types (ELF for the Arm 64-bit Architecture, AAELF64,
 * "Relocation codes"), with the overflow ("Check") and alignment rules of that
 * table. Instructions are little-endian whatever the data byte order is.
 */
import { checkAlignment, checkRange, defineRelocator, readField, writeField, type RelocationSite, type RelocationType, type Relocator } from "@handoff/core/link";

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

const page = (x: bigint) => x & ~0xfffn;
const abs = ({ symbol: S, addend: A }: RelocationSite) => S + A;
const pcrel = ({ symbol: S, addend: A, place: P }: RelocationSite) => S + A - P;
/** ABS32/PREL32 "Check": the value fits 32 bits read as signed or unsigned. */
const data32 = (f: (s: RelocationSite) => bigint, what: string) => (site: RelocationSite) => {
  const v = f(site);
  checkRange(v, -(1n << 31n), 1n << 32n, what);
  return v;
};
/** An instruction form: AArch64 instructions are little-endian whatever the data byte order; RELA, so no addend in the field. */
const insn = (name: string, encode: (insn: number, site: RelocationSite) => number): RelocationType => ({
  name,
  size: 4,
  addend: () => 0n,
  patch: (site) => writeField(site.field, BigInt(encode(Number(readField(site.field, true)), site) >>> 0), true),
});
const branch26 = (name: string) =>
  insn(name, (i, site) => {
    const x = pcrel(site);
    checkAlignment(x, 4n, "branch offset S + A - P");
    checkRange(x, -(1n << 27n), 1n << 27n, "branch offset S + A - P");
    return (i & ~0x03ff_ffff) | Number((x >> 2n) & 0x03ff_ffffn);
  });
/** LDST*_ABS_LO12_NC: the low 12 bits of S + A, scaled by log2 of the access size (and aligned to it). */
const ldst = (name: string, scale: bigint) =>
  insn(name, (i, site) => {
    const x = abs(site);
    checkAlignment(x, 1n << scale, `S + A for a ${8 << Number(scale)}-bit access`);
    return encodeImm12(i, (x & 0xfffn) >> scale);
  });

/** The AArch64 relocation types above, RELA, with the AAELF64 overflow and alignment checks. */
export const AARCH64_RELOCATOR: Relocator = defineRelocator({
  elfMachine: 183,
  usesRela: true,
  types: new Map<number, RelocationType>([
    [R_AARCH64_NONE, { name: "R_AARCH64_NONE", size: 0 }],
    [R_AARCH64_NONE_ALT, { name: "R_AARCH64_NONE", size: 0 }],
    [R_AARCH64_ABS64, { name: "R_AARCH64_ABS64", size: 8, value: abs }],
    [R_AARCH64_ABS32, { name: "R_AARCH64_ABS32", size: 4, value: data32(abs, "S + A") }],
    [R_AARCH64_PREL64, { name: "R_AARCH64_PREL64", size: 8, value: pcrel }],
    [R_AARCH64_PREL32, { name: "R_AARCH64_PREL32", size: 4, value: data32(pcrel, "S + A - P") }],
    [
      R_AARCH64_ADR_PREL_LO21,
      insn("R_AARCH64_ADR_PREL_LO21", (i, site) => {
        const x = pcrel(site);
        checkRange(x, -(1n << 20n), 1n << 20n, "S + A - P");
        return encodeAdr(i, x);
      }),
    ],
    [
      R_AARCH64_ADR_PREL_PG_HI21,
      insn("R_AARCH64_ADR_PREL_PG_HI21", (i, site) => {
        const x = page(abs(site)) - page(site.place);
        checkRange(x, -(1n << 32n), 1n << 32n, "Page(S + A) - Page(P)");
        return encodeAdr(i, x >> 12n);
      }),
    ],
    [R_AARCH64_ADD_ABS_LO12_NC, insn("R_AARCH64_ADD_ABS_LO12_NC", (i, site) => encodeImm12(i, abs(site) & 0xfffn))],
    [R_AARCH64_JUMP26, branch26("R_AARCH64_JUMP26")],
    [R_AARCH64_CALL26, branch26("R_AARCH64_CALL26")],
    [R_AARCH64_LDST8_ABS_LO12_NC, ldst("R_AARCH64_LDST8_ABS_LO12_NC", 0n)],
    [R_AARCH64_LDST16_ABS_LO12_NC, ldst("R_AARCH64_LDST16_ABS_LO12_NC", 1n)],
    [R_AARCH64_LDST32_ABS_LO12_NC, ldst("R_AARCH64_LDST32_ABS_LO12_NC", 2n)],
    [R_AARCH64_LDST64_ABS_LO12_NC, ldst("R_AARCH64_LDST64_ABS_LO12_NC", 3n)],
    [R_AARCH64_LDST128_ABS_LO12_NC, ldst("R_AARCH64_LDST128_ABS_LO12_NC", 4n)],
  ]),
});

/** ADR/ADRP: immlo in bits 30:29, immhi in bits 23:5. */
function encodeAdr(insn: number, imm21: bigint): number {
  const v = Number(BigInt.asUintN(21, imm21));
  return (insn & ~((0x3 << 29) | (0x7ffff << 5))) | ((v & 0x3) << 29) | (((v >>> 2) & 0x7ffff) << 5);
}

/** ADD (immediate) and LDR/STR (unsigned offset): imm12 in bits 21:10. */
function encodeImm12(insn: number, imm12: bigint): number {
  return (insn & ~(0xfff << 10)) | (Number(imm12) << 10);
}
