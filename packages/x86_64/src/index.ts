export { plugin, X86_64Architecture, X86_64_REGISTER_TABLE } from "./architecture.js";
export { X86_64_REGISTERS, COMPATIBILITY_MODE } from "./registers.js";
export * from "./relocations.js";
export { linux64Entry, kexec64Entry, pvhEntry64, CR0_LONG, CR4_PAE, EFER_LME_LMA, type X86_64Placement } from "./handoff-states.js";
export { identityMap1GiB } from "./identity-tables.js";
export { buildX86_64Stub, X86_64_HANDOFF_STUB, X86_64_STUB_GDT_OFFSET, type IndirectionListRef } from "./stub/stub.js";
export { x86_64ArtefactBuilder, X86_64_PC_LAYOUT } from "./artefact.js";
export { X86_64_4LEVEL, X86_64_5LEVEL, IA32_PAT_DEFAULT } from "./paging.js";
export { walkX86_64 } from "./paging-walker.js";
