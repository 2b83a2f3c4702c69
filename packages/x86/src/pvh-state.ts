import { ValidationError, fitsUnsigned, type RegisterAssignment } from "@handoff/core";
import type { HandoffGdt } from "./descriptors.js";
import { EFLAGS_RESERVED_ONE, handoffSegmentState } from "./handoff-segments.js";

const PVH = "xen docs/misc/pvh.pandoc";
/** CR0.PE | CR0.ET: ET is hardwired to 1 on every CPU since the i486 (SDM Vol. 3A §2.5), PG clear. */
export const CR0_PE_ET = 0x11n;
/** hvm_start_info magic (xen public/arch-x86/hvm/start_info.h: XEN_HVM_START_MAGIC_VALUE). */
export const XEN_HVM_START_MAGIC_VALUE = 0x336ec578;

/** Inputs of the PVH entry state: the GDT and its address, where `hvm_start_info` is, and the entry point. */
export interface PvhEntryOptions {
  readonly gdt: HandoffGdt;
  /** Physical address of the GDT the stub loads. */
  readonly gdtBase: bigint;
  /** Physical address of `hvm_start_info`. */
  readonly startInfo: bigint;
  readonly entry: bigint;
}

/**
 * The registers the Xen PVH entry defines (pvh.pandoc "x86/HVM direct boot
 * ABI"), named for a 32-bit (`ebx`, `eip`, `eflags`) or 64-bit (`rbx`, `rip`,
 * `rflags`) register file: the entry is 32-bit code either way.
 */
export function pvhDefinitions(options: PvhEntryOptions, wide: boolean): Record<string, RegisterAssignment> {
  for (const [n, v] of [["hvm_start_info", options.startInfo], ["entry", options.entry]] as const) {
    if (!fitsUnsigned(v, 32)) throw new ValidationError("PVH entry", `${n} 0x${v.toString(16)} is not a 32-bit physical address`);
  }
  return {
    [wide ? "rbx" : "ebx"]: { value: options.startInfo, clause: `${PVH}: "ebx: contains the physical memory address where the loader has placed the boot start info structure"` },
    [wide ? "rip" : "eip"]: { value: options.entry, clause: `${PVH}: "jump into the entry point defined at XEN_ELFNOTE_PHYS32_ENTRY"` },
    cr0: { value: CR0_PE_ET, clause: `${PVH}: "cr0: bit 0 (PE) must be set. All the other writeable bits are cleared." (ET is not writeable)` },
    [wide ? "rflags" : "eflags"]: {
      value: EFLAGS_RESERVED_ONE,
      clause: `${PVH}: "eflags: bit 17 (VM) must be cleared. Bit 9 (IF) must be cleared. Bit 8 (TF) must be cleared." (handoff clears the rest; bit 1 reads as 1)`,
    },
    ...handoffSegmentState(options.gdt, options.gdtBase, {
      cs: `${PVH}: "cs: must be a 32-bit read/execute code segment with a base of '0' and a limit of '0xFFFFFFFF'"`,
      data: `${PVH}: "ds, es, ss: must be a 32-bit read/write data segment with a base of '0' and a limit of '0xFFFFFFFF'"`,
      tr: `${PVH}: "tr: must be a 32-bit TSS (active) with a base of '0' and a limit of '0x67'"`,
    }),
  };
}

/** A minimal `hvm_start_info` page: magic, version 1, no modules, no memory map (start_info.h). */
export function minimalStartInfo(): Uint8Array {
  const page = new Uint8Array(4096);
  const v = new DataView(page.buffer);
  v.setUint32(0, XEN_HVM_START_MAGIC_VALUE, true);
  v.setUint32(4, 1, true);
  return page;
}
