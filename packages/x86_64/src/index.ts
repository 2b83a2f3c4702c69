export { plugin, X86_64Architecture, X86_64_REGISTER_TABLE } from "./architecture.js";
export { X86_64_REGISTERS, COMPATIBILITY_MODE } from "./registers.js";
export * from "./relocations.js";
