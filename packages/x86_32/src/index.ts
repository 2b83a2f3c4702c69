import { defineArchitecture } from "@handoff/core/compose";
import { X86_32_DEFINITION } from "./architecture.js";

const defined = defineArchitecture(X86_32_DEFINITION);
/** The 32-bit x86 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const x86_32Architecture = defined.architecture;
/** Registers 32-bit x86 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
export { X86_32_REGISTERS } from "./registers.js";
export * from "./relocations.js";
export { pvhEntry, linux32Entry, kexec32Entry, type X86GdtPlacement } from "./handoff-states.js";
export { buildX86_32Stub, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, type IndirectionListRef } from "./stub/stub.js";
export { X86_32_WIDTH, x86_32ArtefactBuilder, x86_32LinuxBootBuilder } from "./width.js";
export { X86_32_2LEVEL, X86_32_PAE } from "./paging.js";
export { walkX86_32 } from "./paging-walker.js";
export { X86_32_LINUX_LAYOUT } from "./linux-boot.js";
export { planX86_32Kexec } from "./kexec.js";
