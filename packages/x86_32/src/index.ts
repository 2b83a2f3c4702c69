export { plugin, X86_32Architecture, X86_32_REGISTER_TABLE } from "./architecture.js";
export { X86_32_REGISTERS } from "./registers.js";
export * from "./relocations.js";
