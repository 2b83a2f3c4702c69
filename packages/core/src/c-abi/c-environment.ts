import { FormatError, ValidationError } from "../errors.js";
import { C, CTypeError, INT_NAMES, typeOf, toFields, validateDataModel, type CBasicType, type CDataModel, type CField, type CIntName, type CType, type FieldLayout, type Layout, type SizeAlign } from "./c-types.js";

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
    /** The C representation of a guest handle to `target` (Xen's `XEN_GUEST_HANDLE(target)`): a struct or union laid out like the ABI's handle. */
    readonly handleRepresentation: (target: string) => CType,
    /** The C name of a handle to `target` as the hypervisor's headers spell it (the ABI's owner says; core knows no hypervisor). */
    readonly handleName: (target: string) => string = (target) => `handle(${target})`,
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
    return new CTypeEnvironment(this.dataModel, merged, this.handleRepresentation, this.handleName);
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
        return { kind: "handle", cName: this.handleName(type.target), size: repr.size, align: repr.align, target: type.target };
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
        // An empty struct is a GNU C extension of size 0 (Xen's Arm arch_vcpu_info); an empty union has no use.
        if (type.fields.length === 0 && type.kind === "union") throw new CTypeError(cName, "has no members");
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
