export { plugin, Arm64Architecture, ARM64_REGISTER_TABLE } from "./architecture.js";
export { ARM64_REGISTERS, AARCH32_MODE } from "./registers.js";
export * from "./relocations.js";
