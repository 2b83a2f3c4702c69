export { plugin, Arm32Architecture, ARM32_REGISTER_TABLE } from "./architecture.js";
export { ARM32_REGISTERS } from "./registers.js";
export * from "./relocations.js";
