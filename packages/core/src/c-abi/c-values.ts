import { fitsSigned, fitsUnsigned, maskOf } from "../bits.js";
import { FormatError } from "../errors.js";
import { FieldValueError, type Layout } from "./c-types.js";

/** A value read from or written to a laid-out type: integers and addresses are bigint. */
export type CValue = bigint | readonly CValue[] | { readonly [member: string]: CValue };

/**
 * Read a value of `layout` from `bytes` at `offset`. Every read is bounds
 * checked; a short buffer is a `FormatError` naming the field and its offset,
 * and a struct or union needs all its `size` bytes (trailing padding too), as
 * `writeCValue` does, so whatever reads also writes back.
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
        // Every member fits but the object's trailing padding may not: a C object is sizeof bytes
        // (what Xen's copy_from_guest copies, and what writeCValue demands), so that is short too.
        // A negative offset is caught here too when the struct has no members (GNU C's empty struct).
        if (!Number.isSafeInteger(at) || at < 0 || at + l.size > bytes.length) {
          throw new FormatError(label, layout.cName, path || l.cName, at, `needs ${l.size} bytes (sizeof ${l.cName}, trailing padding included), buffer has ${Math.max(0, bytes.length - Math.max(0, at))}`);
        }
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
