import type { RegisterAssignment } from "@handoff/core";
import { DESC, descriptorAttr, descriptorLimit, type HandoffGdt, type SegmentDescriptor } from "./descriptors.js";

/** Which clause defines each group of segment registers in a protocol. */
export interface SegmentClauses {
  readonly cs: string;
  readonly data: string;
  /** Clause for TR; handoff loads a TSS even where the protocol is silent, because TR cannot hold a null selector. */
  readonly tr: string;
}

/** EFLAGS with only the reserved bit 1 set (SDM Vol. 1 §3.4.3: "bit 1 ... reserved ... always 1"). */
export const EFLAGS_RESERVED_ONE = 0x2n;

const GDT_CLAUSE = "handoff stub: loads its own GDT (flat code, flat data, TSS) at the planned address";
const LDTR_CLAUSE =
  "handoff stub: LDTR loaded with the null selector; QEMU keeps the cached type from reset (SDM Vol. 3A §9.1.1 Table 9-1: LDTR 'Present, R/W' after reset)";

function segment(name: string, selector: number, d: SegmentDescriptor, clause: string): Record<string, RegisterAssignment> {
  return {
    [name]: { value: BigInt(selector), clause },
    [`${name}_base`]: { value: d.base, clause },
    [`${name}_limit`]: { value: descriptorLimit(d), clause },
    [`${name}_attr`]: { value: descriptorAttr(d), clause },
  };
}

/**
 * The segment-register part of an x86 hand-off state for a stub that loads
 * `gdt` at `gdtBase`: CS = code, DS/ES/SS = data, FS/GS null (forced zero),
 * TR = the TSS (busy once loaded), GDTR = the stub's GDT, IDTR null (forced zero).
 */
export function handoffSegmentState(gdt: HandoffGdt, gdtBase: bigint, clauses: SegmentClauses): Record<string, RegisterAssignment> {
  const busyTss: SegmentDescriptor = { ...gdt.tss, flags: gdt.tss.flags | DESC.TSS_BUSY };
  return {
    ...segment("cs", gdt.selectors.code, gdt.code, clauses.cs),
    ...segment("ds", gdt.selectors.data, gdt.data, clauses.data),
    ...segment("es", gdt.selectors.data, gdt.data, clauses.data),
    ...segment("ss", gdt.selectors.data, gdt.data, clauses.data),
    ...segment("tr", gdt.selectors.tss, busyTss, clauses.tr),
    ldtr_attr: { value: 0x82n, clause: LDTR_CLAUSE },
    gdtr_base: { value: gdtBase, clause: GDT_CLAUSE },
    gdtr_limit: { value: BigInt(gdt.limit), clause: GDT_CLAUSE },
  };
}
