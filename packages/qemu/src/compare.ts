import { hex, type HandoffState, type Provenance } from "@handoff/core";
import type { ObservedRegisters } from "./info-registers.js";

/** One register of a probe report: what the hand-off promised against what the CPU holds. */
export interface RegisterComparison {
  readonly name: string;
  readonly expected: bigint;
  /** Observed value; bits QEMU did not print are cleared and listed in `unobservedBits`. */
  readonly observed: bigint;
  readonly unobservedBits: bigint;
  readonly match: boolean;
  readonly provenance: Provenance;
}

/**
 * Compare every register QEMU reported against the promised state. Registers
 * the dump does not show (system registers, MSRs other than EFER) are not
 * compared; partially printed ones are compared on the printed bits.
 */
export function compareRegisters(expected: HandoffState, observed: ObservedRegisters): RegisterComparison[] {
  return observed.reported.map((name) => {
    const want = expected.registers.read(name).value;
    const { value, unknown } = observed.file.read(name);
    return {
      name,
      expected: want,
      observed: value,
      unobservedBits: unknown,
      match: (want & ~unknown) === value,
      provenance: expected.provenanceOf(name),
    };
  });
}

/** The mismatching rows, formatted one per line (empty when the CPU kept every promise). */
export function describeMismatches(rows: readonly RegisterComparison[]): string {
  return rows
    .filter((r) => !r.match)
    .map((r) => `${r.name}: expected ${hex(r.expected)}, observed ${hex(r.observed)}`)
    .join("\n");
}
