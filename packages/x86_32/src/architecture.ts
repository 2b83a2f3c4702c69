import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { defineArchitecture } from "@handoff/core/compose";
import { X86_32_XEN_CONVENTION, bzImageFormat, bzImagePayloadFormat } from "@handoff/x86";
import { x86_32ArtefactBuilder, x86_32LinuxBootBuilder } from "./width.js";
import { planX86_32Kexec } from "./kexec.js";
import { X86_32_2LEVEL, X86_32_PAE } from "./paging.js";
import { X86_32_REGISTERS } from "./registers.js";
import { I386_RELOCATOR } from "./relocations.js";

/** 32-bit x86 as data: ELF identity, registers, page tables, bzImage, relocations, Xen convention, builders. */
const defined = defineArchitecture({
  packageName: "@handoff/x86_32",
  id: "x86_32",
  displayName: "x86 (32-bit)",
  elfMachine: 3,
  elfClass: 32,
  wordBits: 32,
  endianness: ["little"],
  registers: X86_32_REGISTERS,
  pageTableFormats: [X86_32_PAE, X86_32_2LEVEL],
  // bzImage: one shared implementation from @handoff/x86; the parsed image says which arch it is.
  imageFormats: [bzImageFormat, bzImagePayloadFormat],
  relocations: I386_RELOCATOR,
  hypercall: { hypervisor: "xen", conventions: [X86_32_XEN_CONVENTION] },
  defaultMachine: PC_MEMORY_LAYOUT,
  artefactBuilder: x86_32ArtefactBuilder,
  // The live kexec planner rides on the Linux boot builder: same kernel plan, different entry.
  linuxBootBuilder: { ...x86_32LinuxBootBuilder, kexec: planX86_32Kexec },
  protocols: {
    pvh: "Xen PVH entry: 32-bit protected mode, paging off, ebx = hvm_start_info",
    linux32: "Linux x86 boot protocol, 32-bit entry at code32_start: paging off, esi = boot_params",
    kexec: "kexec entry: paging off, CR3 = CR4 = EFLAGS = 0, GPRs zero",
  },
});

/** The 32-bit x86 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const x86_32Architecture = defined.architecture;
/** Registers 32-bit x86 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
