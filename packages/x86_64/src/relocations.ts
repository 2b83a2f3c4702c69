/**
 * x86-64 relocation types (System V AMD64 psABI, "Relocation Types"). Every
 * 32-bit form is checked for overflow, PC-relative ones included: a field that
 * silently wraps sends the CPU somewhere else.
 */
import { checkSignedBits, checkUnsignedBits, defineRelocator, type RelocationSite, type RelocationType, type Relocator } from "@handoff/core/link";

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

const abs = ({ symbol: S, addend: A }: RelocationSite) => S + A;
const pcrel = ({ symbol: S, addend: A, place: P }: RelocationSite) => S + A - P;
/** A 32-bit form whose value `f(site)` must fit `check`: a field that silently wraps sends the CPU elsewhere. */
const checked32 = (f: (s: RelocationSite) => bigint, check: typeof checkSignedBits, what: string) => (site: RelocationSite) => {
  const v = f(site);
  check(v, 32, what);
  return v;
};

/** The x86-64 relocation types above, RELA, every 32-bit form checked for overflow. */
export const X86_64_RELOCATOR: Relocator = defineRelocator({
  elfMachine: 62,
  usesRela: true,
  types: new Map<number, RelocationType>([
    [R_X86_64_NONE, { name: "R_X86_64_NONE", size: 0 }],
    [R_X86_64_64, { name: "R_X86_64_64", size: 8, value: abs }],
    [R_X86_64_PC32, { name: "R_X86_64_PC32", size: 4, value: checked32(pcrel, checkSignedBits, "S + A - P") }],
    // No PLT in a standalone object: the call goes straight to S.
    [R_X86_64_PLT32, { name: "R_X86_64_PLT32", size: 4, value: checked32(pcrel, checkSignedBits, "S + A - P") }],
    // Zero-extended by the CPU.
    [R_X86_64_32, { name: "R_X86_64_32", size: 4, value: checked32(abs, checkUnsignedBits, "S + A") }],
    // Sign-extended by the CPU.
    [R_X86_64_32S, { name: "R_X86_64_32S", size: 4, value: checked32(abs, checkSignedBits, "S + A") }],
    [R_X86_64_PC64, { name: "R_X86_64_PC64", size: 8, value: pcrel }],
  ]),
});
