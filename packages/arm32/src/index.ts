export { plugin, Arm32Architecture, ARM32_REGISTER_TABLE } from "./architecture.js";
export { ARM32_REGISTERS } from "./registers.js";
export { ARM32_SHORT, ARM32_LPAE } from "./paging.js";
export { walkArmV7 } from "./paging-walker.js";
