import type { RegisterSpec } from "@handoff/core";

/** Segment registers whose hidden descriptor cache a hand-off sets (Intel SDM Vol. 3A §3.4.3). */
export const X86_SEGMENT_REGISTERS = ["cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr"] as const;

/**
 * The control registers of a `width`-bit register file (SDM Vol. 3A §2.5):
 * CR0, CR2, CR3, CR4, and CR8 (the task-priority register) in 64-bit mode only.
 */
export function controlRegisterSpecs(width: 32 | 64): RegisterSpec[] {
  const names = width === 64 ? ["cr0", "cr2", "cr3", "cr4", "cr8"] : ["cr0", "cr2", "cr3", "cr4"];
  return names.map((name): RegisterSpec => ({ name, width, kind: "control" }));
}

/**
 * Selector plus descriptor cache (base, limit, attributes) for each segment
 * register. `baseWidth` is 32 on IA-32 and 64 on Intel 64 (FS/GS/TR/LDTR bases
 * are 64-bit there; CS/DS/ES/SS bases are ignored in 64-bit mode but still held).
 * Attributes follow the layout of descriptor bits 40..55 (type, S, DPL, P, AVL,
 * L, D/B, G), the same packing QEMU's `info registers` prints.
 */
export function segmentRegisterSpecs(baseWidth: 32 | 64): RegisterSpec[] {
  return X86_SEGMENT_REGISTERS.flatMap((seg): RegisterSpec[] => [
    { name: seg, width: 16, kind: "segment", description: `${seg.toUpperCase()} selector` },
    { name: `${seg}_base`, width: baseWidth, kind: "segment", description: `${seg.toUpperCase()} descriptor base` },
    { name: `${seg}_limit`, width: 32, kind: "segment", description: `${seg.toUpperCase()} descriptor limit (bytes - 1, after granularity)` },
    { name: `${seg}_attr`, width: 16, kind: "segment", description: `${seg.toUpperCase()} descriptor attributes (bits 40..55)` },
  ]);
}

/** GDTR and IDTR: a base of the address width and a 16-bit limit (SDM Vol. 3A §2.4). */
export function descriptorTableSpecs(baseWidth: 32 | 64): RegisterSpec[] {
  return ["gdtr", "idtr"].flatMap((t): RegisterSpec[] => [
    { name: `${t}_base`, width: baseWidth, kind: "descriptor-table", description: `${t.toUpperCase()} base` },
    { name: `${t}_limit`, width: 16, kind: "descriptor-table", description: `${t.toUpperCase()} limit` },
  ]);
}

/**
 * The 16- and 8-bit slices of the legacy GPRs. Writes to them merge: the rest of
 * the register keeps its value (SDM Vol. 1 §3.4.1.1).
 */
export function legacySliceSpecs(parent: (base: string) => string): RegisterSpec[] {
  const out: RegisterSpec[] = [];
  for (const base of ["ax", "bx", "cx", "dx"]) {
    const l = base[0]!;
    out.push({ name: base, width: 16, kind: "gpr", alias: { of: parent(base), lsb: 0, onWrite: "merge" } });
    out.push({ name: `${l}l`, width: 8, kind: "gpr", alias: { of: parent(base), lsb: 0, onWrite: "merge" } });
    out.push({ name: `${l}h`, width: 8, kind: "gpr", alias: { of: parent(base), lsb: 8, onWrite: "merge" } });
  }
  for (const base of ["si", "di", "bp", "sp"]) {
    out.push({ name: base, width: 16, kind: "gpr", alias: { of: parent(base), lsb: 0, onWrite: "merge" } });
  }
  return out;
}

/** The eight legacy GPR stems in encoding order (SDM Vol. 2A Table 2-2). */
export const LEGACY_GPR_STEMS = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] as const;
