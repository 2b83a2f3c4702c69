import { defineArchitecture } from "@handoff/core/compose";
import { X86_64_DEFINITION } from "./architecture.js";

const defined = defineArchitecture(X86_64_DEFINITION);
/** The x86-64 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const x86_64Architecture = defined.architecture;
/** Registers x86-64 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
export { X86_64_REGISTERS, COMPATIBILITY_MODE } from "./registers.js";
export * from "./relocations.js";
export { type X86_64StubPages } from "./linux-boot.js";
export { linux64Entry, kexec64Entry, pvhEntry64, CR0_LONG, CR4_PAE, EFER_LME_LMA, type X86_64Placement } from "./handoff-states.js";
export { identityMap1GiB } from "./identity-tables.js";
export { buildX86_64Stub, X86_64_HANDOFF_STUB, X86_64_STUB_GDT_OFFSET, type IndirectionListRef } from "./stub/stub.js";
export { X86_64_WIDTH, x86_64ArtefactBuilder, x86_64LinuxBootBuilder } from "./width.js";
export { X86_64_4LEVEL, X86_64_5LEVEL } from "./paging.js";
/** The power-on IA32_PAT the x86 paging modes assume (defined once in @handoff/x86). */
export { IA32_PAT_DEFAULT } from "@handoff/x86";
export { walkX86_64 } from "./paging-walker.js";
export { X86_64_LINUX_LAYOUT } from "./linux-boot.js";
export { planX86_64Kexec, planX86_64KexecProbe, planX86_64CrashKexec, x86_64CrashPages, X86_64_KEXEC_PROBE_ENTRY } from "./kexec.js";
