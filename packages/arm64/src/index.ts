export { plugin, Arm64Architecture, ARM64_REGISTER_TABLE } from "./architecture.js";
export { ARM64_REGISTERS, AARCH32_MODE } from "./registers.js";
export { AARCH64_XEN_CONVENTION, AARCH32_XEN_CONVENTION, AAPCS64_DATA_MODEL, XEN_HYPERCALL_TAG } from "./hypercall.js";
