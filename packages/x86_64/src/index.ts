export { plugin, X86_64Architecture, X86_64_REGISTER_TABLE } from "./architecture.js";
export { X86_64_REGISTERS, COMPATIBILITY_MODE } from "./registers.js";
export { X86_64_4LEVEL, X86_64_5LEVEL, IA32_PAT_DEFAULT } from "./paging.js";
export { walkX86_64 } from "./paging-walker.js";
