import { fitsSigned, fitsUnsigned, maskOf, toBits } from "./bits.js";
import { RegisterWidthError, UnknownRegisterError, UnknownRegisterValueError, ValidationError } from "./errors.js";

/** What a register is for; the CLI and the hand-off report group by it. */
export type RegisterKind =
  | "gpr"
  | "pc"
  | "sp"
  | "flags"
  | "control"
  | "segment"
  | "descriptor-table"
  | "system"
  | "msr";

/**
 * What writing an alias does to the bits of its parent outside the alias.
 * - `zero-extend`: the rest of the parent becomes zero (x86-64 32-bit GPR writes,
 *   AArch64 W-register writes).
 * - `merge`: the rest of the parent keeps its value (x86 AX/AL/AH writes).
 */
export type AliasWriteEffect = "zero-extend" | "merge";

/** How a narrower register name maps onto a full-width one (e.g. a 32-bit view of a 64-bit register). */
export interface RegisterAlias {
  /** Name of the full-width register this one is a slice of. */
  readonly of: string;
  /** Bit position of the slice's least significant bit in the parent. */
  readonly lsb: number;
  readonly onWrite: AliasWriteEffect;
}

/** One register of an architecture's table: name, width in bits and kind, or a slice (alias) of another. */
export interface RegisterSpec {
  readonly name: string;
  /** Width in bits. */
  readonly width: number;
  readonly kind: RegisterKind;
  readonly description?: string;
  /** Set when this name is a slice of another register (eax of rax, w0 of x0). */
  readonly alias?: RegisterAlias;
  /**
   * A register hardwired to this value (RISC-V x0, Arm XZR): it always reads so,
   * and asking to set anything else is an error, since the CPU would discard it.
   */
  readonly hardwired?: bigint;
}

/**
 * A narrower execution state that runs on the same register file (x86-64
 * compatibility mode, AArch32 under AArch64). Only data: core applies the rules.
 */
export interface NarrowMode {
  readonly id: string;
  /** Register width seen by code in this mode. */
  readonly width: number;
  /** Each narrow register and the wide register whose low bits it is. */
  readonly registers: readonly { readonly narrow: string; readonly wide: string }[];
  /**
   * Wide registers whose upper bits (above `width`) are UNKNOWN after code in
   * this mode has run, with the source that says so.
   */
  readonly upperBitsUnknownAfterExecution: readonly string[];
  readonly source: string;
}

interface Cell {
  value: bigint;
  /** Bits whose value is not architecturally defined. */
  unknown: bigint;
}

/**
 * The registers of one architecture. Every register starts as a known zero;
 * a value that does not fit its register is refused, never truncated.
 */
export class RegisterFile {
  private readonly specs: ReadonlyMap<string, RegisterSpec>;
  private readonly cells = new Map<string, Cell>();

  constructor(
    readonly arch: string,
    specs: readonly RegisterSpec[],
  ) {
    const byName = new Map<string, RegisterSpec>();
    for (const spec of specs) {
      if (byName.has(spec.name)) throw new ValidationError(`${arch} register table`, `duplicate register '${spec.name}'`);
      if (!Number.isInteger(spec.width) || spec.width <= 0) {
        throw new ValidationError(`${arch} register '${spec.name}'`, `bad width ${spec.width}`);
      }
      byName.set(spec.name, spec);
    }
    for (const spec of specs) {
      if (!spec.alias) continue;
      const parent = byName.get(spec.alias.of);
      if (!parent || parent.alias) {
        throw new ValidationError(`${arch} register '${spec.name}'`, `alias of '${spec.alias.of}', which is not a full register`);
      }
      if (spec.alias.lsb < 0 || spec.alias.lsb + spec.width > parent.width) {
        throw new ValidationError(`${arch} register '${spec.name}'`, `slice does not fit '${parent.name}'`);
      }
    }
    this.specs = byName;
    for (const spec of specs) if (!spec.alias) this.cells.set(spec.name, { value: spec.hardwired ?? 0n, unknown: 0n });
  }

  /** The spec of a register (or alias), or a typed error naming it. */
  spec(name: string): RegisterSpec {
    const spec = this.specs.get(name);
    if (!spec) throw new UnknownRegisterError(this.arch, name);
    return spec;
  }

  /** Whether `name` is a register or alias of this architecture's table. */
  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** Names of the full-width registers, in table order (aliases excluded). */
  names(): string[] {
    return [...this.cells.keys()];
  }

  /** Value of a register or alias; UNKNOWN bits are a typed error. */
  get(name: string): bigint {
    const { value, unknown } = this.read(name);
    if (unknown !== 0n) throw new UnknownRegisterValueError(this.arch, name, unknown);
    return value;
  }

  /** Value and UNKNOWN mask, for callers that can report partially known registers. */
  read(name: string): { value: bigint; unknown: bigint } {
    const spec = this.spec(name);
    const { cell, lsb } = this.cellOf(spec);
    const mask = maskOf(spec.width);
    const shift = BigInt(lsb);
    return { value: (cell.value >> shift) & mask, unknown: (cell.unknown >> shift) & mask };
  }

  /** Whether every bit of the register or alias `name` has a known value. */
  isKnown(name: string): boolean {
    return this.read(name).unknown === 0n;
  }

  /**
   * Write `value` (unsigned, or negative when `signed`) to a register or alias,
   * with the alias's effect on its parent. Values that do not fit are refused.
   */
  set(name: string, value: bigint, options?: { readonly signed?: boolean }): this {
    const spec = this.spec(name);
    const fits = options?.signed ? fitsSigned(value, spec.width) || fitsUnsigned(value, spec.width) : fitsUnsigned(value, spec.width);
    if (!fits) throw new RegisterWidthError(this.arch, name, spec.width, value);
    const bits = toBits(value, spec.width);
    const { cell, lsb } = this.cellOf(spec);
    const hardwired = spec.hardwired ?? (spec.alias ? this.specs.get(spec.alias.of)?.hardwired : undefined);
    if (hardwired !== undefined) {
      if (bits === ((hardwired >> BigInt(lsb)) & maskOf(spec.width))) return this;
      throw new ValidationError(`${this.arch} register '${name}'`, `hardwired to 0x${hardwired.toString(16)}; the CPU discards writes`);
    }
    if (!spec.alias || spec.alias.onWrite === "zero-extend") {
      cell.value = bits << BigInt(lsb);
      cell.unknown = 0n;
    } else {
      const sliceMask = maskOf(spec.width) << BigInt(lsb);
      cell.value = (cell.value & ~sliceMask) | (bits << BigInt(lsb));
      cell.unknown &= ~sliceMask;
    }
    return this;
  }

  /** Mark bits of a full register as UNKNOWN (all bits when no mask is given). */
  markUnknown(name: string, mask?: bigint): this {
    const spec = this.spec(name);
    if (spec.alias) throw new ValidationError(`${this.arch} register '${name}'`, "mark the full register, not an alias");
    const cell = this.cells.get(name)!;
    if (spec.hardwired !== undefined) return this;
    const m = (mask ?? maskOf(spec.width)) & maskOf(spec.width);
    cell.unknown |= m;
    cell.value &= ~m;
    return this;
  }

  /**
   * Apply what running code in a narrower mode does: the upper bits of the
   * registers the mode names become UNKNOWN (they must be re-established, e.g.
   * zeroed as Xen does on AArch32 guest exit, before anything relies on them).
   */
  afterNarrowExecution(mode: NarrowMode): this {
    for (const wide of mode.upperBitsUnknownAfterExecution) {
      const spec = this.spec(wide);
      this.markUnknown(wide, maskOf(spec.width) & ~maskOf(mode.width));
    }
    return this;
  }

  /** Zero the bits above the narrow mode's width (the Xen/AArch32 entry rule). */
  zeroUpperBits(mode: NarrowMode): this {
    for (const { wide } of mode.registers) {
      const cell = this.cells.get(this.spec(wide).name);
      if (!cell) continue;
      cell.value &= maskOf(mode.width);
      cell.unknown &= maskOf(mode.width);
    }
    return this;
  }

  /** An independent copy: same table, same values and unknown bits. */
  clone(): RegisterFile {
    const copy = new RegisterFile(this.arch, [...this.specs.values()]);
    for (const [name, cell] of this.cells) copy.cells.set(name, { ...cell });
    return copy;
  }

  /** Full-width registers with their values and UNKNOWN masks, in table order. */
  entries(): { name: string; spec: RegisterSpec; value: bigint; unknown: bigint }[] {
    return [...this.cells].map(([name, cell]) => ({ name, spec: this.specs.get(name)!, value: cell.value, unknown: cell.unknown }));
  }

  private cellOf(spec: RegisterSpec): { cell: Cell; lsb: number } {
    if (spec.alias) return { cell: this.cells.get(spec.alias.of)!, lsb: spec.alias.lsb };
    return { cell: this.cells.get(spec.name)!, lsb: 0 };
  }
}

/** Helper for arch tables: `n` registers named by `name(i)`. */
export function registerRange(
  count: number,
  make: (i: number) => RegisterSpec,
): RegisterSpec[] {
  return Array.from({ length: count }, (_, i) => make(i));
}
