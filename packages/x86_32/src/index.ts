export { plugin, x86_32Architecture } from "./architecture.js";
export { X86_32_REGISTERS } from "./registers.js";
export * from "./relocations.js";
export { pvhEntry, linux32Entry, kexec32Entry, type X86GdtPlacement } from "./handoff-states.js";
export { buildX86_32Stub, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, type IndirectionListRef } from "./stub/stub.js";
export { x86_32ArtefactBuilder, X86_32_PC_LAYOUT } from "./artefact.js";
export { X86_32_2LEVEL, X86_32_PAE } from "./paging.js";
export { walkX86_32 } from "./paging-walker.js";
export { x86_32LinuxBootBuilder, X86_32_LINUX_LAYOUT } from "./linux-boot.js";
