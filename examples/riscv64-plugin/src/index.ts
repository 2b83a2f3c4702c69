export { plugin, Riscv64Architecture, RISCV64_REGISTER_TABLE, EM_RISCV } from "./architecture.js";
export { RISCV64_REGISTERS } from "./registers.js";
export { riscvLinuxEntryState, type RiscvLinuxEntry } from "./linux-boot.js";
export { RISCV64_SV39, RISCV64_SV48, SATP_MODE_SV39, SATP_MODE_SV48 } from "./paging.js";
export { walkSv } from "./paging-walker.js";
