export { plugin, Riscv64Architecture, RISCV64_REGISTER_TABLE, EM_RISCV } from "./architecture.js";
export { RISCV64_REGISTERS } from "./registers.js";
export { riscvLinuxEntryState, type RiscvLinuxEntry } from "./linux-boot.js";
