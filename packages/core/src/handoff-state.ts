import { hex } from "./bits.js";
import { ValidationError } from "./errors.js";
import type { RegisterFile } from "./registers.js";

/** Why a register holds its hand-off value. */
export type Provenance =
  /** The protocol defines this register; `clause` cites where. */
  | { readonly kind: "protocol"; readonly protocol: string; readonly clause: string }
  /** The protocol leaves it undefined; handoff sets zero so no image can depend on leftovers. */
  | { readonly kind: "forced-zero" };

/** A register value and the protocol clause that requires it. */
export interface RegisterAssignment {
  readonly value: bigint;
  readonly clause: string;
}

/**
 * The machine state at the instant of hand-off: every register with a value and
 * the reason for it.
 */
export class HandoffState {
  private readonly provenance = new Map<string, Provenance>();

  private constructor(
    readonly arch: string,
    readonly protocol: string,
    readonly registers: RegisterFile,
  ) {}

  /**
   * Build a state from the registers a protocol defines; every other register
   * of the file is zero with provenance `forced-zero`.
   */
  static fromProtocol(
    protocol: string,
    zeroed: RegisterFile,
    defined: Readonly<Record<string, RegisterAssignment>>,
  ): HandoffState {
    const state = new HandoffState(zeroed.arch, protocol, zeroed.clone());
    for (const name of state.registers.names()) {
      state.registers.set(name, 0n);
      state.provenance.set(name, { kind: "forced-zero" });
    }
    for (const [name, { value, clause }] of Object.entries(defined)) {
      const spec = state.registers.spec(name);
      if (spec.alias) throw new ValidationError(`${protocol} hand-off`, `define '${spec.alias.of}', not its alias '${name}'`);
      state.registers.set(name, value);
      state.provenance.set(name, { kind: "protocol", protocol, clause });
    }
    return state;
  }

  /** Why register `name` (an alias resolves to its parent) has its hand-off value; throws if none was recorded. */
  provenanceOf(name: string): Provenance {
    const p = this.provenance.get(this.registers.spec(name).alias?.of ?? name);
    if (!p) throw new ValidationError(`${this.protocol} hand-off`, `no provenance for '${name}'`);
    return p;
  }

  /** JSON-friendly listing: register, hex value, provenance. */
  toJSON(): { arch: string; protocol: string; registers: { name: string; width: number; value: string; provenance: Provenance }[] } {
    return {
      arch: this.arch,
      protocol: this.protocol,
      registers: this.registers.entries().map((e) => ({
        name: e.name,
        width: e.spec.width,
        value: hex(e.value),
        provenance: this.provenanceOf(e.name),
      })),
    };
  }
}
