export { plugin, X86_32Architecture, X86_32_REGISTER_TABLE } from "./architecture.js";
export { X86_32_REGISTERS } from "./registers.js";
export { X86_32_2LEVEL, X86_32_PAE } from "./paging.js";
export { walkX86_32 } from "./paging-walker.js";
