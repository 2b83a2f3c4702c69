import { fitsSigned, fitsUnsigned, maskOf } from "./bits.js";
import { FormatError, HandoffError, ValidationError, type HandoffErrorOptions } from "./errors.js";

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

const INT_NAMES = new Set<string>([
  "char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long", "unsigned long",
  "long long", "unsigned long long", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t",
]);

/** A string names an integer type when it is one, else a typedef/struct reference. */
function typeOf(t: CType | string): CType {
  if (typeof t !== "string") return t;
  return INT_NAMES.has(t) ? { kind: "int", name: t as CIntName } : { kind: "ref", name: t };
}

function toFields(fields: Readonly<Record<string, CType | string>> | readonly CField[]): CField[] {
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

/**
 * Named types for one ABI: the data model's basic types, typedefs, and how a
 * guest handle is represented in memory (as a C struct/union whose bytes hold
 * the address).
 */
export class CTypeEnvironment {
  private readonly cache = new Map<string, Layout>();

  constructor(
    readonly dataModel: CDataModel,
    private readonly typedefs: ReadonlyMap<string, CType>,
    /** The C representation of `XEN_GUEST_HANDLE(target)`: a struct or union laid out like the ABI's handle. */
    readonly handleRepresentation: (target: string) => CType,
  ) {
    validateDataModel(dataModel);
  }

  /** A new environment with more typedefs (later definitions must not redefine earlier ones). */
  extend(typedefs: Readonly<Record<string, CType>> | ReadonlyMap<string, CType>): CTypeEnvironment {
    const merged = new Map(this.typedefs);
    const entries = typedefs instanceof Map ? [...typedefs] : Object.entries(typedefs as Record<string, CType>);
    for (const [name, type] of entries) {
      if (merged.has(name)) throw new CTypeError(name, "defined twice");
      merged.set(name, type);
    }
    return new CTypeEnvironment(this.dataModel, merged, this.handleRepresentation);
  }

  /** Whether `name` is a known typedef or built-in integer type name. */
  has(name: string): boolean {
    return this.typedefs.has(name) || INT_NAMES.has(name);
  }

  /** Typedef names in definition order. */
  names(): string[] {
    return [...this.typedefs.keys()];
  }

  /** The definition of a typedef name. */
  definition(name: string): CType {
    const t = this.typedefs.get(name);
    if (!t) throw new CTypeError(name, "not defined");
    return t;
  }

  /** Layout of a type or a typedef name. */
  layout(type: CType | string): Layout {
    if (typeof type === "string") {
      const cached = this.cache.get(type);
      if (cached) return cached;
      const computed = this.compute(typeOf(type), type, new Set());
      this.cache.set(type, computed);
      return computed;
    }
    return this.compute(type, undefined, new Set());
  }

  /** Size, alignment and offset of a member path such as `segments.h` or `data[2].ring`. */
  field(type: CType | string, path: string): { offset: number; layout: Layout } {
    let layout = this.layout(type);
    let offset = 0;
    for (const part of parsePath(path, typeof type === "string" ? type : layout.cName)) {
      if (typeof part === "number") {
        if (layout.kind !== "array") throw new CTypeError(layout.cName, `indexing [${part}] a non-array`);
        if (!layout.flexible && part >= layout.length) throw new CTypeError(layout.cName, `index ${part} out of bounds (${layout.length})`);
        offset += part * layout.element.size;
        layout = layout.element;
      } else {
        if (layout.kind !== "struct" && layout.kind !== "union") throw new CTypeError(layout.cName, `member '${part}' of a non-aggregate`);
        const f = layout.fields.find((x) => x.name === part);
        if (!f) throw new CTypeError(layout.cName, `no member '${part}'`);
        offset += f.offset;
        layout = f.layout;
      }
    }
    return { offset, layout };
  }

  private basic(name: CBasicType): SizeAlign {
    return this.dataModel.types[name];
  }

  private intLayout(name: CIntName): Layout {
    const fixed = /^(u?)int(8|16|32|64)_t$/.exec(name);
    if (fixed) {
      const size = Number(fixed[2]) / 8;
      return { kind: "int", cName: name, size, align: this.alignOfSize(size), signed: fixed[1] !== "u" };
    }
    const unsigned = name.startsWith("unsigned ");
    const base = name.replace(/^(un)?signed /, "");
    const sa = this.basic(base as CBasicType);
    const signed = name === "char" ? this.dataModel.charSigned : !unsigned;
    return { kind: "int", cName: name, size: sa.size, align: sa.align, signed };
  }

  /** `<stdint.h>` types are typedefs of the basic type of that size. */
  private alignOfSize(size: number): number {
    for (const b of ["char", "short", "int", "long", "long long"] as const) {
      const sa = this.basic(b);
      if (sa.size === size) return sa.align;
    }
    throw new CTypeError(`int${size * 8}_t`, `data model ${this.dataModel.id} has no ${size}-byte integer`);
  }

  private compute(type: CType, name: string | undefined, visiting: Set<string>): Layout {
    switch (type.kind) {
      case "int":
        return this.intLayout(type.name);
      case "pointer": {
        const p = this.basic("pointer");
        return { kind: "pointer", cName: `${type.to} *`, size: p.size, align: p.align, target: type.to };
      }
      case "ref": {
        if (visiting.has(type.name)) throw new CTypeError(type.name, "contains itself");
        const cached = this.cache.get(type.name);
        if (cached) return cached;
        const def = this.typedefs.get(type.name);
        if (!def) throw new CTypeError(type.name, "not defined");
        visiting.add(type.name);
        const inner = this.compute(def, type.name, visiting);
        visiting.delete(type.name);
        const named = { ...inner, cName: type.name } as Layout;
        this.cache.set(type.name, named);
        return named;
      }
      case "aligned": {
        const inner = this.compute(type.type, undefined, visiting);
        if (!Number.isInteger(type.align) || type.align <= 0 || (type.align & (type.align - 1)) !== 0) {
          throw new CTypeError(name ?? inner.cName, `alignment ${type.align} is not a power of two`);
        }
        return { ...inner, align: type.align, cName: name ?? inner.cName } as Layout;
      }
      case "handle": {
        const repr = this.compute(this.handleRepresentation(type.target), undefined, visiting);
        if (repr.size !== 4 && repr.size !== 8) throw new CTypeError(`handle(${type.target})`, `representation is ${repr.size} bytes`);
        return { kind: "handle", cName: `XEN_GUEST_HANDLE(${type.target})`, size: repr.size, align: repr.align, target: type.target };
      }
      case "array": {
        const element = this.compute(type.element, undefined, visiting);
        const flexible = type.length === "flexible";
        const length = flexible ? 0 : (type.length as number);
        if (!Number.isInteger(length) || length < 0) throw new CTypeError(name ?? "array", `bad length ${String(type.length)}`);
        return {
          kind: "array",
          cName: `${element.cName}[${flexible ? "" : length}]`,
          size: element.size * length,
          align: element.align,
          element,
          length,
          flexible,
        };
      }
      case "struct":
      case "union": {
        const cName = name ?? `${type.kind} ${type.tag ?? "<anonymous>"}`;
        if (type.fields.length === 0) throw new CTypeError(cName, "has no members");
        const seen = new Set<string>();
        const fields: FieldLayout[] = [];
        let offset = 0;
        let align = 1;
        let size = 0;
        type.fields.forEach((f, i) => {
          if (seen.has(f.name)) throw new CTypeError(cName, `member '${f.name}' declared twice`);
          seen.add(f.name);
          const layout = this.compute(f.type, undefined, visiting);
          if (layout.kind === "array" && layout.flexible && (type.kind === "union" || i !== type.fields.length - 1)) {
            throw new CTypeError(cName, `flexible array '${f.name}' must be the last member of a struct`);
          }
          align = Math.max(align, layout.align);
          if (type.kind === "struct") {
            offset = alignUpNumber(offset, layout.align);
            fields.push({ name: f.name, offset, layout });
            offset += layout.size;
          } else {
            fields.push({ name: f.name, offset: 0, layout });
            size = Math.max(size, layout.size);
          }
        });
        // C11 6.7.2.1: trailing padding makes the size a multiple of the alignment.
        const total = alignUpNumber(type.kind === "struct" ? offset : size, align);
        return { kind: type.kind, cName, size: total, align, fields };
      }
    }
  }
}

function alignUpNumber(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

function parsePath(path: string, subject: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    m = re.exec(path);
    if (!m) throw new CTypeError(subject, `bad member path '${path}'`);
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    pos = re.lastIndex;
  }
  return parts;
}

/** A value read from or written to a laid-out type: integers and addresses are bigint. */
export type CValue = bigint | readonly CValue[] | { readonly [member: string]: CValue };

/**
 * Read a value of `layout` from `bytes` at `offset`. Every read is bounds
 * checked; a short buffer is a `FormatError` naming the field and its offset.
 * Unions are read as every member's view. A flexible array reads `flexibleCount`
 * elements (default 0) and those must fit the buffer too.
 */
export function readCValue(
  layout: Layout,
  bytes: Uint8Array,
  offset = 0,
  options: { readonly label?: string; readonly endianness?: "little" | "big"; readonly flexibleCount?: number } = {},
): CValue {
  const label = options.label ?? "buffer";
  const little = (options.endianness ?? "little") === "little";
  const read = (l: Layout, at: number, path: string): CValue => {
    // Checked at each scalar, so the error names the first member that does not fit.
    if (isLeaf(l) && (!Number.isSafeInteger(at) || at < 0 || at + l.size > bytes.length)) {
      throw new FormatError(label, layout.cName, path || l.cName, at, `needs ${l.size} bytes, buffer has ${Math.max(0, bytes.length - Math.max(0, at))}`);
    }
    switch (l.kind) {
      case "int":
      case "pointer":
      case "handle": {
        const raw = readUint(bytes, at, l.size, little);
        return l.kind === "int" && l.signed ? BigInt.asIntN(l.size * 8, raw) : raw;
      }
      case "array": {
        const n = l.flexible ? (options.flexibleCount ?? 0) : l.length;
        return Array.from({ length: n }, (_, i) => read(l.element, at + i * l.element.size, `${path}[${i}]`));
      }
      case "struct":
      case "union": {
        const out: Record<string, CValue> = {};
        for (const f of l.fields) out[f.name] = read(f.layout, at + f.offset, path ? `${path}.${f.name}` : f.name);
        return out;
      }
    }
  };
  return read(layout, offset, "");
}

/**
 * Write `value` as `layout` into `bytes` at `offset`. Missing members are zero;
 * unknown members, a value that does not fit its field (never truncated), more
 * array elements than the array holds, or two members of one union are typed
 * errors. Bytes not covered by a member (padding) are left as they are.
 */
export function writeCValue(
  layout: Layout,
  value: CValue,
  bytes: Uint8Array,
  offset = 0,
  options: { readonly label?: string; readonly endianness?: "little" | "big" } = {},
): void {
  const label = options.label ?? "buffer";
  const little = (options.endianness ?? "little") === "little";
  const write = (l: Layout, v: CValue | undefined, at: number, path: string): void => {
    const where = path || l.cName;
    if (!Number.isSafeInteger(at) || at < 0 || at + (isLeaf(l) ? l.size : 0) > bytes.length || (!isLeaf(l) && at + l.size > bytes.length)) {
      throw new FormatError(label, layout.cName, where, at, `needs ${l.size} bytes, buffer has ${Math.max(0, bytes.length - Math.max(0, at))}`);
    }
    switch (l.kind) {
      case "int":
      case "pointer":
      case "handle": {
        const x = v === undefined ? 0n : v;
        if (typeof x !== "bigint") throw new FieldValueError(where, `expected an integer, got ${describe(x)}`);
        const bits = l.size * 8;
        const ok = l.kind === "int" && l.signed ? fitsSigned(x, bits) : fitsUnsigned(x, bits);
        if (!ok) throw new FieldValueError(where, `value ${fmt(x)} does not fit ${l.cName} (${bits}-bit ${l.kind === "int" && l.signed ? "signed" : "unsigned"})`);
        writeUint(bytes, at, l.size, BigInt.asUintN(bits, x), little);
        return;
      }
      case "array": {
        if (v === undefined) return zero(bytes, at, l.size);
        if (!Array.isArray(v)) throw new FieldValueError(where, `expected an array, got ${describe(v)}`);
        if (!l.flexible && v.length > l.length) throw new FieldValueError(where, `${v.length} elements for an array of ${l.length}`);
        for (let i = 0; i < (l.flexible ? v.length : l.length); i++) {
          write(l.element, (v as readonly CValue[])[i], at + i * l.element.size, `${where}[${i}]`);
        }
        return;
      }
      case "struct":
      case "union": {
        if (v === undefined) return zero(bytes, at, l.size);
        if (typeof v !== "object" || Array.isArray(v)) throw new FieldValueError(where, `expected a ${l.kind}, got ${describe(v)}`);
        const obj = v as Record<string, CValue>;
        for (const key of Object.keys(obj)) {
          if (!l.fields.some((f) => f.name === key)) throw new FieldValueError(where, `${l.cName} has no member '${key}'`);
        }
        if (l.kind === "union") {
          const given = l.fields.filter((f) => obj[f.name] !== undefined);
          if (given.length > 1) throw new FieldValueError(where, `union members ${given.map((f) => f.name).join(", ")} given together`);
          zero(bytes, at, l.size);
          if (given[0]) write(given[0].layout, obj[given[0].name], at, `${where}.${given[0].name}`);
          return;
        }
        for (const f of l.fields) write(f.layout, obj[f.name], at + f.offset, path ? `${path}.${f.name}` : f.name);
        return;
      }
    }
  };
  write(layout, value, offset, "");
}

/** Bytes of `value` laid out as `layout` (padding zero); flexible arrays add their elements. */
export function encodeCValue(layout: Layout, value: CValue, options: { readonly endianness?: "little" | "big" } = {}): Uint8Array {
  let extra = 0;
  if ((layout.kind === "struct") && layout.fields.length) {
    const last = layout.fields[layout.fields.length - 1]!;
    const v = (value as Record<string, CValue>)?.[last.name];
    if (last.layout.kind === "array" && last.layout.flexible && Array.isArray(v)) {
      extra = Math.max(0, last.offset + v.length * last.layout.element.size - layout.size);
    }
  }
  const bytes = new Uint8Array(layout.size + extra);
  writeCValue(layout, value, bytes, 0, options);
  return bytes;
}

function isLeaf(l: Layout): boolean {
  return l.kind === "int" || l.kind === "pointer" || l.kind === "handle";
}

function zero(bytes: Uint8Array, at: number, n: number): void {
  bytes.fill(0, at, at + n);
}

function readUint(bytes: Uint8Array, at: number, size: number, little: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const b = BigInt(bytes[little ? at + size - 1 - i : at + i]!);
    v = (v << 8n) | b;
  }
  return v;
}

function writeUint(bytes: Uint8Array, at: number, size: number, value: bigint, little: boolean): void {
  let v = value & maskOf(size * 8);
  for (let i = 0; i < size; i++) {
    bytes[little ? at + i : at + size - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function fmt(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  return v === null ? "null" : typeof v;
}

/**
 * C source declaring `names` (typedefs of the environment) for a freestanding
 * compiler: the integer typedefs come from the data model, never from system
 * headers, so the compiler checks our understanding of the ABI, not a copy of it.
 */
export function emitCDeclarations(env: CTypeEnvironment, names: readonly string[]): string {
  const out: string[] = [];
  const done = new Set<string>();
  const dm = env.dataModel;
  const basicOfSize = (size: number): string => {
    for (const b of ["char", "short", "int", "long", "long long"] as const) if (dm.types[b].size === size) return b;
    throw new CTypeError(`int${size * 8}_t`, `data model ${dm.id} has no ${size}-byte integer`);
  };
  for (const bits of [8, 16, 32, 64]) {
    const base = basicOfSize(bits / 8);
    out.push(`typedef signed ${base} int${bits}_t;`, `typedef unsigned ${base} uint${bits}_t;`);
  }
  let anon = 0;
  const handles = new Map<string, string>();
  const spell = (t: CType, declarator: string): string => {
    switch (t.kind) {
      case "int":
        return `${t.name} ${declarator}`;
      case "pointer":
        // Every object pointer has one size and alignment on the supported
        // ABIs; `void *` spares declaring the target before the handle.
        return `void *${declarator}`;
      case "ref":
        define(t.name);
        return `${t.name} ${declarator}`;
      case "array":
        return spell(t.element, `${declarator}[${t.length === "flexible" ? "" : t.length}]`);
      case "aligned": {
        const name = `handoff_aligned_${anon++}`;
        out.push(`typedef ${spell(t.type, name)} __attribute__((__aligned__(${t.align})));`);
        return `${name} ${declarator}`;
      }
      case "handle": {
        let name = handles.get(t.target);
        if (!name) {
          name = `handoff_handle_${t.target.replace(/\W/g, "_")}`;
          handles.set(t.target, name);
          out.push(`typedef ${spell(env.handleRepresentation(t.target), name)};`);
        }
        return `${name} ${declarator}`;
      }
      case "struct":
      case "union": {
        const members = t.fields.map((f) => `  ${spell(f.type, f.name)};`).join("\n");
        return `${t.kind} {\n${members}\n} ${declarator}`;
      }
    }
  };
  const define = (name: string): void => {
    if (done.has(name) || INT_NAMES.has(name)) return;
    done.add(name);
    const def = env.definition(name);
    if (def.kind === "aligned") {
      out.push(`typedef ${spell(def.type, name)} __attribute__((__aligned__(${def.align})));`);
    } else {
      out.push(`typedef ${spell(def, name)};`);
    }
  };
  for (const n of names) define(n);
  return out.join("\n") + "\n";
}

/**
 * Every (path, offset, size) a C compiler can be asked about for `name`:
 * the type itself (path "") and each member, recursively through nested
 * aggregates and the first element of fixed arrays.
 */
export function layoutProbes(env: CTypeEnvironment, name: string): { path: string; offset: number; size: number; align: number }[] {
  const out: { path: string; offset: number; size: number; align: number }[] = [];
  const root = env.layout(name);
  out.push({ path: "", offset: 0, size: root.size, align: root.align });
  const walk = (l: Layout, base: number, prefix: string) => {
    if (l.kind === "struct" || l.kind === "union") {
      for (const f of l.fields) {
        const path = prefix ? `${prefix}.${f.name}` : f.name;
        out.push({ path, offset: base + f.offset, size: f.layout.size, align: f.layout.align });
        walk(f.layout, base + f.offset, path);
      }
    } else if (l.kind === "array" && !l.flexible && l.length > 1) {
      const path = `${prefix}[1]`;
      out.push({ path, offset: base + l.element.size, size: l.element.size, align: l.element.align });
      walk(l.element, base + l.element.size, path);
    }
  };
  walk(root, 0, "");
  return out;
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
