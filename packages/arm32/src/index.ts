import { defineArchitecture } from "@handoff/core/compose";
import { ARM32_DEFINITION } from "./architecture.js";

const defined = defineArchitecture(ARM32_DEFINITION);
/** The AArch32 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const arm32Architecture = defined.architecture;
/** Registers AArch32 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
export { ARM32_REGISTERS } from "./registers.js";
export {
  zImageFormat,
  parseZImage,
  readZImage,
  ZIMAGE_FORMAT_ID,
  ZIMAGE_MAGIC,
  ZIMAGE_TAG_KRNL_SIZE,
  type ZImageInfo,
  type ZImageTag,
  type ZImageKernelSize,
} from "./zimage.js";
export { ARM32_XEN_CONVENTION } from "./hypercall.js";
/** Re-exported from @handoff/arm, where the one copy lives. */
export { AAPCS_DATA_MODEL, XEN_HYPERCALL_TAG } from "@handoff/arm";
export * from "./relocations.js";
export { arm32KexecEntry, CPSR_SVC_MASKED, CPSR_HYP_MASKED, HSCTLR_MMU_CACHES_OFF, MACHINE_TYPE_DT_ONLY, SCTLR_MMU_CACHES_OFF_A15, type Arm32EntryOptions } from "./handoff-states.js";
export { buildArm32Stub, ARM32_HANDOFF_STUB } from "./stub/stub.js";
export { arm32ArtefactBuilder } from "./artefact.js";
export { ARM32_WIDTH } from "./width.js";
export { ARM32_SHORT, ARM32_LPAE } from "./paging.js";
export { walkArmV7 } from "./paging-walker.js";
export { arm32LinuxBootBuilder, placeArm32Linux, ARM32_LINUX_MACHINE, ARM32_TEXT_OFFSET, type Arm32LinuxPlacement } from "./linux-boot.js";
