/**
 * i386 relocation types (System V i386 psABI, "Relocation Types"). i386 objects
 * use REL: the addend is the field's current contents. Values must fit 32 bits
 * read as signed or unsigned (the address space is 32 bits wide).
 */
import { checkBitfield, defineRelocator, type RelocationSite, type RelocationType, type Relocator } from "@handoff/core/link";

/** R_386_NONE: no relocation (i386 psABI "Relocation Types"). */
export const R_386_NONE = 0;
/** R_386_32: S + A, 32-bit word. */
export const R_386_32 = 1;
/** R_386_PC32: S + A - P, 32-bit word. */
export const R_386_PC32 = 2;
/** R_386_PLT32: L + A - P, 32-bit word (no PLT here, so L is S). */
export const R_386_PLT32 = 4;

/** `f(site)` checked to fit 32 bits read as signed or unsigned (the address space is 32 bits wide). */
const bitfield32 = (f: (s: RelocationSite) => bigint, what: string) => (site: RelocationSite) => {
  const v = f(site);
  checkBitfield(v, 32, what);
  return v;
};
const pcrel = bitfield32(({ symbol: S, addend: A, place: P }) => S + A - P, "S + A - P");

/** The i386 relocation types above, REL (the addend is the field's contents). */
export const I386_RELOCATOR: Relocator = defineRelocator({
  elfMachine: 3,
  usesRela: false,
  types: new Map<number, RelocationType>([
    [R_386_NONE, { name: "R_386_NONE", size: 0 }],
    [R_386_32, { name: "R_386_32", size: 4, value: bitfield32(({ symbol: S, addend: A }) => S + A, "S + A") }],
    [R_386_PC32, { name: "R_386_PC32", size: 4, value: pcrel }],
    // No PLT in a standalone object: L is S.
    [R_386_PLT32, { name: "R_386_PLT32", size: 4, value: pcrel }],
  ]),
});
