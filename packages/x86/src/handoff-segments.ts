import { ValidationError, type RegisterAssignment } from "@handoff/core";
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

/** Register values the stub's segment loads must produce (a read-only view of a state's register file). */
export interface SegmentRegisterReader {
  /** The value of register `name`. */
  get(name: string): bigint;
}

/**
 * Check that every segment register of a state is what loading its selector
 * from `gdt` produces (null selectors: all zero; TR: the TSS, busy), so a stub
 * cannot be built from a state it would not reach.
 */
export function checkSegmentsAgainstGdt(regs: SegmentRegisterReader, gdt: HandoffGdt, subject: string): void {
  const bySelector = new Map<number, SegmentDescriptor>([
    [gdt.selectors.code, gdt.code],
    [gdt.selectors.data, gdt.data],
  ]);
  const expectFor = (name: string, d: SegmentDescriptor | undefined) => {
    const want = d ? [d.base, descriptorLimit(d), descriptorAttr(d)] : [0n, 0n, 0n];
    const got = [regs.get(`${name}_base`), regs.get(`${name}_limit`), regs.get(`${name}_attr`)];
    if (want.some((w, i) => w !== got[i])) {
      throw new ValidationError(subject, `${name} cache (base 0x${got[0]!.toString(16)}, limit 0x${got[1]!.toString(16)}, attr 0x${got[2]!.toString(16)}) is not what its selector loads from the GDT`);
    }
  };
  for (const seg of ["cs", "ds", "es", "fs", "gs", "ss"]) {
    const sel = Number(regs.get(seg));
    if (sel === 0) {
      if (seg === "cs" || seg === "ss") throw new ValidationError(subject, `${seg} cannot be the null selector`);
      expectFor(seg, undefined);
      continue;
    }
    const d = bySelector.get(sel);
    if (!d) throw new ValidationError(subject, `${seg} selector 0x${sel.toString(16)} is not a code or data descriptor of the GDT`);
    if ((seg === "cs") !== (d === gdt.code)) throw new ValidationError(subject, `${seg} selector 0x${sel.toString(16)} is the wrong kind of descriptor`);
    expectFor(seg, d);
  }
  const tr = Number(regs.get("tr"));
  if (tr !== gdt.selectors.tss) throw new ValidationError(subject, `tr selector 0x${tr.toString(16)} is not the GDT's TSS`);
  expectFor("tr", { ...gdt.tss, flags: gdt.tss.flags | DESC.TSS_BUSY });
  if (regs.get("gdtr_limit") !== BigInt(gdt.limit)) throw new ValidationError(subject, "GDTR limit differs from the GDT");
}
