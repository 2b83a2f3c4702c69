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
  /** Set when the values differ only in a known emulator deviation's bits. */
  readonly deviation?: string;
}

/** A bit that QEMU's emulation is known to report differently from hardware, with the reason. */
export interface EmulatorDeviation {
  readonly arch: string;
  readonly register: string;
  /** The bits not compared. */
  readonly mask: bigint;
  readonly reason: string;
}

/**
 * Known deviations of QEMU 7.2 TCG from the architecture, each one bit wide
 * and each cross-checked elsewhere (the probe tests read the GDT back to see
 * the busy bit LTR wrote).
 */
export const QEMU_TCG_DEVIATIONS: readonly EmulatorDeviation[] = [
  ...(["x86_32", "x86_64"] as const).map((arch) => ({
    arch,
    register: "tr_attr",
    mask: 0x2n,
    reason:
      "QEMU TCG's LTR caches the TSS descriptor before setting its busy bit (target/i386 seg_helper.c helper_ltr): the GDT entry turns busy (type 0xb) but 'info registers' shows type 0x9; hardware and KVM cache type 0xb (SDM Vol. 3A §8.2.4)",
  })),
];

/**
 * Compare every register QEMU reported against the promised state. Registers
 * the dump does not show (system registers, MSRs other than EFER) are not
 * compared; partially printed ones are compared on the printed bits, and the
 * bits of a listed emulator deviation are not compared (they are reported).
 */
export function compareRegisters(
  expected: HandoffState,
  observed: ObservedRegisters,
  deviations: readonly EmulatorDeviation[] = QEMU_TCG_DEVIATIONS,
): RegisterComparison[] {
  return observed.reported.map((name) => {
    const want = expected.registers.read(name).value;
    const { value, unknown } = observed.file.read(name);
    const deviation = deviations.find((d) => d.arch === expected.arch && d.register === name);
    const skip = unknown | (deviation?.mask ?? 0n);
    return {
      name,
      expected: want,
      observed: value,
      unobservedBits: unknown,
      match: (want & ~skip) === (value & ~skip),
      provenance: expected.provenanceOf(name),
      ...(deviation && (want & deviation.mask) !== (value & deviation.mask) ? { deviation: deviation.reason } : {}),
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
