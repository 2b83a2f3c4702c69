export { plugin, Arm32Architecture, ARM32_REGISTER_TABLE } from "./architecture.js";
export { ARM32_REGISTERS } from "./registers.js";
export { ARM32_XEN_CONVENTION, AAPCS_DATA_MODEL, XEN_HYPERCALL_TAG } from "./hypercall.js";
