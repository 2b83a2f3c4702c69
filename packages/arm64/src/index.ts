import { defineArchitecture } from "@handoff/core/compose";
import { ARM64_DEFINITION } from "./architecture.js";

const defined = defineArchitecture(ARM64_DEFINITION);
/** The AArch64 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const arm64Architecture = defined.architecture;
/** Registers AArch64 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
export { ARM64_REGISTERS, AARCH32_MODE } from "./registers.js";
export {
  arm64ImageFormat,
  parseArm64Image,
  readArm64ImageHeader,
  ARM64_IMAGE_FORMAT_ID,
  ARM64_IMAGE_MAGIC,
  ARM64_HEADER_SIZE,
  ARM64_LEGACY_TEXT_OFFSET,
  ARM64_BASE_ALIGNMENT,
  type Arm64ImageHeader,
  ARM64_PAGE_SIZES,
  type Arm64PageSize,
} from "./image-header.js";
export { AARCH64_XEN_CONVENTION, AARCH32_XEN_CONVENTION } from "./hypercall.js";
export { AAPCS64_DATA_MODEL, XEN_HYPERCALL_TAG } from "@handoff/arm";
export * from "./relocations.js";
export { arm64KexecEntry, PSTATE_DAIF, PSTATE_EL1H, PSTATE_EL2H, SCTLR_MMU_CACHES_OFF, SCTLR_EL2_MMU_CACHES_OFF, type Arm64EntryOptions } from "./handoff-states.js";
export { buildArm64Stub, ARM64_HANDOFF_STUB } from "./stub/stub.js";
export { arm64CheckTables, type Arm64CheckTables } from "./stub/check-tables.js";
export { arm64ArtefactBuilder } from "./artefact.js";
export { ARM64_WIDTH } from "./width.js";
export { ARM64_4K_39, ARM64_4K_48, ARM64_16K_48, ARM64_64K_48, ARM64_EL2_4K_48, ARM64_MAIR, walkVmsaV8_64El2 } from "./paging.js";
export { walkVmsaV8_64 } from "./paging-walker.js";
export { arm64LinuxBootBuilder, placeArm64Linux, ARM64_LINUX_MACHINE, type Arm64LinuxPlacement } from "./linux-boot.js";
