export { plugin, Arm64Architecture, ARM64_REGISTER_TABLE } from "./architecture.js";
export { ARM64_REGISTERS, AARCH32_MODE } from "./registers.js";
export { ARM64_4K_39, ARM64_4K_48, ARM64_16K_48, ARM64_64K_48, ARM64_MAIR } from "./paging.js";
export { walkVmsaV8_64 } from "./paging-walker.js";
