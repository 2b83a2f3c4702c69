import { ValidationError } from "../errors.js";
import { HandoffError, type HandoffErrorOptions } from "../errors.js";

/**
 * A C layout engine: sizes, alignment, padding, unions, arrays, nested structs
 * and guest handles, parameterised by a data model. It computes what a C
 * compiler for the target computes (the tests compare with gcc/clang's
 * offsetof/sizeof on every arch), and reads/writes laid-out values over bytes.
 */

/** Size and alignment (inside a struct) of one C type, in bytes. */
export interface SizeAlign {
  readonly size: number;
  readonly align: number;
}

/** The C basic types whose size and struct-member alignment a data model fixes. */
export type CBasicType = "char" | "short" | "int" | "long" | "long long" | "pointer";

/**
 * A C data model: what the psABI says about the basic types. `align` is the
 * alignment of the type as a struct member, which is what layouts use (on the
 * i386 System V ABI `long long` is 8 bytes but 4-aligned inside structs).
 */
export interface CDataModel {
  readonly id: string;
  readonly description: string;
  readonly endianness: "little" | "big";
  readonly types: Readonly<Record<CBasicType, SizeAlign>>;
  /** Whether plain `char` is signed (x86: yes; Arm AAPCS: no). */
  readonly charSigned: boolean;
  /** The document the figures come from. */
  readonly source: string;
}

/**
 * What sets one ILP32 or LP64 data model apart: `char`, `short` and `int` are
 * 1, 2 and 4 bytes, naturally aligned, in every psABI handoff targets; `long`
 * and pointers are 4 or 8 bytes (naturally aligned), `long long` is 8 bytes
 * aligned to `longLongAlign` as a struct member.
 */
export interface CDataModelSpec extends Omit<CDataModel, "types" | "endianness"> {
  readonly endianness?: "little" | "big";
  readonly long: 4 | 8;
  readonly pointer: 4 | 8;
  readonly longLongAlign: 4 | 8;
}

/** The data model `spec` describes (little-endian unless it says otherwise). */
export function cDataModel(spec: CDataModelSpec): CDataModel {
  const { long, pointer, longLongAlign, endianness = "little", ...rest } = spec;
  return {
    ...rest,
    endianness,
    types: {
      char: { size: 1, align: 1 },
      short: { size: 2, align: 2 },
      int: { size: 4, align: 4 },
      long: { size: long, align: long },
      "long long": { size: 8, align: longLongAlign },
      pointer: { size: pointer, align: pointer },
    },
  };
}

/** C integer type names the engine knows; `<stdint.h>` names map onto the data model. */
export type CIntName =
  | "char"
  | "signed char"
  | "unsigned char"
  | "short"
  | "unsigned short"
  | "int"
  | "unsigned int"
  | "long"
  | "unsigned long"
  | "long long"
  | "unsigned long long"
  | "int8_t"
  | "uint8_t"
  | "int16_t"
  | "uint16_t"
  | "int32_t"
  | "uint32_t"
  | "int64_t"
  | "uint64_t";

/** A C type as data. `ref` names a typedef/struct resolved by a `CTypeEnvironment`. */
export type CType =
  | { readonly kind: "int"; readonly name: CIntName }
  | { readonly kind: "pointer"; readonly to: string }
  | { readonly kind: "ref"; readonly name: string }
  | { readonly kind: "array"; readonly element: CType; readonly length: number | "flexible" }
  | { readonly kind: "struct" | "union"; readonly tag?: string; readonly fields: readonly CField[] }
  /** `typedef T name __attribute__((aligned(n)))`: on a typedef, GCC sets the alignment to n. */
  | { readonly kind: "aligned"; readonly type: CType; readonly align: number }
  /** A guest handle in memory (Xen's `XEN_GUEST_HANDLE(target)`): an address, laid out per the ABI. */
  | { readonly kind: "handle"; readonly target: string };

/** One named member of a C struct or union declaration. */
export interface CField {
  readonly name: string;
  readonly type: CType;
}

/** Helpers to write declarations compactly. */
export const C = {
  /** A built-in integer type by its C name. */
  int: (name: CIntName): CType => ({ kind: "int", name }),
  /** A reference to a typedef (or struct) by name. */
  ref: (name: string): CType => ({ kind: "ref", name }),
  /** A pointer to the named type. */
  ptr: (to: string): CType => ({ kind: "pointer", to }),
  /** An array of `element`, or a flexible array member (`T x[]`). */
  array: (element: CType | string, length: number | "flexible"): CType => ({ kind: "array", element: typeOf(element), length }),
  /** A struct with the given members (in order), optionally tagged. */
  struct: (fields: Readonly<Record<string, CType | string>> | readonly CField[], tag?: string): CType => ({
    kind: "struct",
    fields: toFields(fields),
    ...(tag ? { tag } : {}),
  }),
  /** A union with the given members, optionally tagged. */
  union: (fields: Readonly<Record<string, CType | string>> | readonly CField[], tag?: string): CType => ({
    kind: "union",
    fields: toFields(fields),
    ...(tag ? { tag } : {}),
  }),
  /** A typedef with `__attribute__((aligned(align)))`. */
  aligned: (type: CType | string, align: number): CType => ({ kind: "aligned", type: typeOf(type), align }),
  /** A Xen guest handle (`XEN_GUEST_HANDLE(target)`). */
  handle: (target: string): CType => ({ kind: "handle", target }),
};

export const INT_NAMES = new Set<string>([
  "char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long", "unsigned long",
  "long long", "unsigned long long", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t",
]);

/** A string names an integer type when it is one, else a typedef/struct reference. */
export function typeOf(t: CType | string): CType {
  if (typeof t !== "string") return t;
  return INT_NAMES.has(t) ? { kind: "int", name: t as CIntName } : { kind: "ref", name: t };
}

export function toFields(fields: Readonly<Record<string, CType | string>> | readonly CField[]): CField[] {
  if (Array.isArray(fields)) return [...(fields as readonly CField[])];
  return Object.entries(fields as Record<string, CType | string>).map(([name, t]) => ({ name, type: typeOf(t) }));
}

/** A type with its computed size, alignment and (for aggregates) member offsets. */
export type Layout =
  | { readonly kind: "int"; readonly cName: string; readonly size: number; readonly align: number; readonly signed: boolean }
  | { readonly kind: "pointer" | "handle"; readonly cName: string; readonly size: number; readonly align: number; readonly target: string }
  | { readonly kind: "struct" | "union"; readonly cName: string; readonly size: number; readonly align: number; readonly fields: readonly FieldLayout[] }
  | {
      readonly kind: "array";
      readonly cName: string;
      readonly size: number;
      readonly align: number;
      readonly element: Layout;
      /** Element count; 0 for a flexible array member (`T x[]`). */
      readonly length: number;
      readonly flexible: boolean;
    };

/** A laid-out member: its name, byte offset from the start of the aggregate and its own layout. */
export interface FieldLayout {
  readonly name: string;
  readonly offset: number;
  readonly layout: Layout;
}

/** A definition error in a type table (unknown name, recursion, bad alignment). */
export class CTypeError extends HandoffError {
  readonly code = "E_CTYPE";
  constructor(
    readonly type: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`C type ${type}: ${reason}`, options);
  }
}

/** A value that does not fit the C field it is written to. */
export class FieldValueError extends HandoffError {
  readonly code = "E_FIELD_VALUE";
  constructor(
    /** Path of the field, e.g. `xen_kexec_load_t.segments.h`. */
    readonly field: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${field}: ${reason}`, options);
  }
}


/** Check a data model's figures are plausible (power-of-two alignments, align <= size). */
export function validateDataModel(dm: CDataModel): CDataModel {
  for (const [name, sa] of Object.entries(dm.types)) {
    if (!Number.isInteger(sa.size) || sa.size <= 0 || !Number.isInteger(sa.align) || sa.align <= 0 || (sa.align & (sa.align - 1)) !== 0 || sa.align > sa.size) {
      throw new ValidationError(`data model ${dm.id}`, `${name}: size ${sa.size}, align ${sa.align}`);
    }
  }
  return dm;
}
