export { plugin, riscv64Architecture, EM_RISCV } from "./architecture.js";
export { RISCV64_REGISTERS } from "./registers.js";
export { riscvLinuxEntryState, SSTATUS_UXL_64, type RiscvLinuxEntry } from "./linux-boot.js";
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
export { buildRiscv64Stub, RISCV64_HANDOFF_STUB, type IndirectionListRef } from "./stub/stub.js";
export { riscv64ArtefactBuilder, RISCV64_VIRT_LAYOUT, RISCV_SPIN } from "./artefact.js";
export { RISCV64_QEMU_INFO_REGISTERS, SSTATUS64_MASK } from "./qemu-registers.js";
