export {
  X86_SEGMENT_REGISTERS,
  LEGACY_GPR_STEMS,
  segmentRegisterSpecs,
  descriptorTableSpecs,
  legacySliceSpecs,
} from "./registers.js";
export {
  SetupHeader,
  SETUP_HEADER_FIELDS,
  SETUP_HEADER_OFFSET,
  SETUP_HEADER_END,
  SETUP_HEADER_SIZE,
  SETUP_HEADER_MAGIC,
  BOOT_FLAG_MAGIC,
  BZIMAGE_LOAD_ADDRESS,
  ENTRY64_OFFSET,
  KERNEL_INFO_MAGIC,
  LoadFlags,
  XLoadFlags,
  flagNames,
  formatProtocolVersion,
  setupHeaderField,
  type SetupHeaderField,
  type SetupHeaderFieldName,
  type SetupHeaderValues,
  type ProtocolVersion,
} from "./setup-header.js";
export { bzImageFormat, parseBzImage, BZIMAGE_FORMAT_ID, REAL_MODE_DEFAULT_BASE, type BzImageInfo, type KernelInfo } from "./bzimage.js";
export {
  BootParams,
  BOOT_PARAMS_LAYOUT,
  BOOT_PARAMS_SIZE,
  LOADER_TYPE_UNDEFINED,
  bootParamsOffset,
  type BootParamsField,
  type BootParamsFieldName,
  type DecodedBootParams,
} from "./boot-params.js";
export {
  E820Type,
  E820_ENTRY_SIZE,
  E820_MAX_ENTRIES_ZEROPAGE,
  e820FromRange,
  e820TypeOf,
  memoryTypeOfE820,
  type E820Entry,
} from "./e820.js";
