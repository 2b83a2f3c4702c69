/**
 * A devicetree as a typed tree: nodes with ordered properties and children,
 * property values kept as bytes (big-endian cells, NUL-terminated strings,
 * per the Devicetree Specification v0.4 §2.2.4 "Property values").
 */
import { ValidationError } from "../errors.js";
import { FormatError } from "../errors.js";
import { fitsUnsigned, hex } from "../bits.js";

/** Where a property value came from, for errors about its contents. */
export interface FdtOrigin {
  readonly file: string;
  readonly offset: number;
}

/** One property: name and raw value bytes. */
export class FdtProperty {
  constructor(
    readonly name: string,
    readonly value: Uint8Array,
    /** File and offset of the value when read from a blob. */
    readonly origin?: FdtOrigin,
  ) {}

  get length(): number {
    return this.value.length;
  }

  private fail(reason: string): never {
    throw new FormatError(this.origin?.file ?? "<devicetree>", "FDT", `property ${this.name}`, this.origin?.offset, reason);
  }

  /** A single `<u32>` cell. */
  u32(): number {
    if (this.value.length !== 4) this.fail(`is ${this.value.length} bytes, not a single u32 cell`);
    return this.cell(0);
  }

  /** A `<u64>` (two cells, big-endian). */
  u64(): bigint {
    if (this.value.length !== 8) this.fail(`is ${this.value.length} bytes, not a u64`);
    return (BigInt(this.cell(0)) << 32n) | BigInt(this.cell(1));
  }

  /** u32 (4 bytes) or u64 (8 bytes) as a bigint: e.g. linux,initrd-start. */
  uint(): bigint {
    if (this.value.length === 4) return BigInt(this.cell(0));
    if (this.value.length === 8) return this.u64();
    return this.fail(`is ${this.value.length} bytes, neither u32 nor u64`);
  }

  /** All 32-bit cells. */
  cells(): number[] {
    if (this.value.length % 4 !== 0) this.fail(`is ${this.value.length} bytes, not a whole number of cells`);
    return Array.from({ length: this.value.length / 4 }, (_, i) => this.cell(i));
  }

  /** A `<stringlist>`: NUL-terminated strings back to back. */
  strings(): string[] {
    if (this.value.length === 0 || this.value[this.value.length - 1] !== 0) this.fail("is not NUL-terminated");
    const text = UTF8.decode(this.value.subarray(0, this.value.length - 1));
    return text.split("\0");
  }

  /** A single `<string>`. */
  string(): string {
    const list = this.strings();
    if (list.length !== 1) this.fail(`holds ${list.length} strings, expected one`);
    return list[0]!;
  }

  /**
   * Groups of `(addressCells + sizeCells)` cells as (address, size) pairs, the
   * encoding of `reg` (§2.3.6). Cells > 2 do not fit 64 bits and are refused.
   */
  addressSizePairs(addressCells: number, sizeCells: number): { address: bigint; size: bigint }[] {
    if (addressCells > 2 || sizeCells > 2) this.fail(`#address-cells ${addressCells} / #size-cells ${sizeCells} above 2 do not fit 64 bits`);
    const per = addressCells + sizeCells;
    const cells = this.cells();
    if (per === 0 || cells.length % per !== 0) this.fail(`${cells.length} cells are not a multiple of ${per} (#address-cells + #size-cells)`);
    const out: { address: bigint; size: bigint }[] = [];
    for (let i = 0; i < cells.length; i += per) {
      out.push({ address: joinCells(cells, i, addressCells), size: joinCells(cells, i + addressCells, sizeCells) });
    }
    return out;
  }

  private cell(i: number): number {
    const v = this.value;
    const o = i * 4;
    return ((v[o]! << 24) | (v[o + 1]! << 16) | (v[o + 2]! << 8) | v[o + 3]!) >>> 0;
  }
}

function joinCells(cells: number[], at: number, n: number): bigint {
  let v = 0n;
  for (let k = 0; k < n; k++) v = (v << 32n) | BigInt(cells[at + k]!);
  return v;
}

const UTF8 = new TextDecoder("utf-8");
const UTF8_ENCODER = new TextEncoder();

/** Encoders for property values (§2.2.4). */
export const FdtValue = {
  /** An empty property value (a boolean property such as `dma-coherent`). */
  empty(): Uint8Array {
    return new Uint8Array(0);
  },
  /** A single 32-bit cell, big-endian. */
  u32(value: number | bigint): Uint8Array {
    return FdtValue.cells([value]);
  },
  /** A 64-bit value as two 32-bit cells, high cell first. */
  u64(value: bigint): Uint8Array {
    if (!fitsUnsigned(value, 64)) throw new ValidationError("u64 property", `${hex(value)} does not fit 64 bits`);
    return FdtValue.cells([value >> 32n, value & 0xffff_ffffn]);
  },
  /** `<cells...>`: each value a 32-bit cell. */
  cells(values: readonly (number | bigint)[]): Uint8Array {
    const out = new Uint8Array(values.length * 4);
    const v = new DataView(out.buffer);
    values.forEach((x, i) => {
      const b = BigInt(x);
      if (!fitsUnsigned(b, 32)) throw new ValidationError("cell", `${hex(b)} does not fit 32 bits`);
      v.setUint32(i * 4, Number(b), false);
    });
    return out;
  },
  /** A value spread over `n` cells (n = #address-cells or #size-cells). */
  wide(value: bigint, n: number): bigint[] {
    if (!fitsUnsigned(value, 32 * n)) throw new ValidationError("cells", `${hex(value)} does not fit ${n} cell(s)`);
    return Array.from({ length: n }, (_, i) => (value >> BigInt(32 * (n - 1 - i))) & 0xffff_ffffn);
  },
  /** `reg`-style (address, size) pairs with the given cell counts. */
  reg(pairs: readonly { address: bigint; size: bigint }[], addressCells: number, sizeCells: number): Uint8Array {
    return FdtValue.cells(pairs.flatMap((p) => [...FdtValue.wide(p.address, addressCells), ...FdtValue.wide(p.size, sizeCells)]));
  },
  /** A NUL-terminated string. */
  string(s: string): Uint8Array {
    return FdtValue.strings([s]);
  },
  /** A string list: each string NUL-terminated, concatenated; strings cannot contain NUL. */
  strings(list: readonly string[]): Uint8Array {
    for (const s of list) if (s.includes("\0")) throw new ValidationError("string property", "strings cannot contain NUL");
    return UTF8_ENCODER.encode(list.map((s) => `${s}\0`).join(""));
  },
  /** Raw bytes, copied. */
  bytes(b: readonly number[] | Uint8Array): Uint8Array {
    return Uint8Array.from(b);
  },
} as const;

/** A node: name (with unit address, e.g. `memory@40000000`), properties, children. */
export class FdtNode {
  readonly properties: FdtProperty[] = [];
  readonly children: FdtNode[] = [];

  constructor(readonly name: string) {}

  /** The property called `name`, if the node has one. */
  property(name: string): FdtProperty | undefined {
    return this.properties.find((p) => p.name === name);
  }

  /** The direct child called `name` (with its unit address, if any), if there is one. */
  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Set (replace in place, or append) a property. */
  set(name: string, value: Uint8Array): this {
    checkName(name, "property");
    const i = this.properties.findIndex((p) => p.name === name);
    const prop = new FdtProperty(name, value);
    if (i >= 0) this.properties[i] = prop;
    else this.properties.push(prop);
    return this;
  }

  /** Removes the property called `name`; returns whether there was one. */
  remove(name: string): boolean {
    const i = this.properties.findIndex((p) => p.name === name);
    if (i < 0) return false;
    this.properties.splice(i, 1);
    return true;
  }

  /** The child called `name`, created (appended) if missing. */
  ensureChild(name: string): FdtNode {
    const existing = this.child(name);
    if (existing) return existing;
    checkName(name, "node");
    const node = new FdtNode(name);
    this.children.push(node);
    return node;
  }

  /** Append a new child; refuses a duplicate name. */
  addChild(name: string): FdtNode {
    checkName(name, "node");
    if (this.child(name)) throw new ValidationError(`node ${name}`, "a sibling already has this name");
    const node = new FdtNode(name);
    this.children.push(node);
    return node;
  }
}

function checkName(name: string, what: string): void {
  if (name.length === 0 || name.includes("/") || name.includes("\0")) {
    throw new ValidationError(`${what} name '${name}'`, "must be non-empty without '/' or NUL");
  }
}

/** /memreserve/ entry (§5.3). */
export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

/** §2.3.5: defaults when #address-cells / #size-cells are absent. */
export const DEFAULT_ADDRESS_CELLS = 2;
/** §2.3.5: #size-cells assumed when the property is absent. */
export const DEFAULT_SIZE_CELLS = 1;

/** A whole devicetree: the root node, the memory reservation map and boot_cpuid_phys. */
export class DeviceTree {
  constructor(
    readonly root: FdtNode = new FdtNode(""),
    readonly reservations: FdtReservation[] = [],
    public bootCpuidPhys = 0,
  ) {}

  /** Node at an absolute path like `/chosen` or `/cpus/cpu@0`; `/` is the root. */
  find(path: string): FdtNode | undefined {
    if (!path.startsWith("/")) return undefined;
    let node: FdtNode | undefined = this.root;
    for (const part of path.split("/").filter((p) => p.length > 0)) {
      node = node.child(part);
      if (!node) return undefined;
    }
    return node;
  }

  /** The node at `path`, creating missing nodes along the way. */
  ensure(path: string): FdtNode {
    let node = this.root;
    for (const part of path.split("/").filter((p) => p.length > 0)) node = node.ensureChild(part);
    return node;
  }

  /** #address-cells declared on `node` (the value its children's `reg` uses), default 2. */
  static addressCells(node: FdtNode): number {
    return node.property("#address-cells")?.u32() ?? DEFAULT_ADDRESS_CELLS;
  }

  /** #size-cells declared on `node`, default 1. */
  static sizeCells(node: FdtNode): number {
    return node.property("#size-cells")?.u32() ?? DEFAULT_SIZE_CELLS;
  }
}
