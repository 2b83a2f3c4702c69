export { plugin, Riscv64Architecture, RISCV64_REGISTER_TABLE, EM_RISCV } from "./architecture.js";
export { RISCV64_REGISTERS } from "./registers.js";
export { riscvLinuxEntryState, type RiscvLinuxEntry } from "./linux-boot.js";
export { RISCV64_SV39, RISCV64_SV48, SATP_MODE_SV39, SATP_MODE_SV48 } from "./paging.js";
export { walkSv } from "./paging-walker.js";
export {
  riscvImageFormat,
  parseRiscvImage,
  readRiscvImageHeader,
  RISCV_IMAGE_FORMAT_ID,
  RISCV_IMAGE_MAGIC,
  RISCV_IMAGE_MAGIC2,
  RISCV_HEADER_SIZE,
  RISCV64_BASE_ALIGNMENT,
  type RiscvImageHeader,
} from "./image-header.js";
