export { plugin, Arm64Architecture, ARM64_REGISTER_TABLE } from "./architecture.js";
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
  type Arm64PageSize,
} from "./image-header.js";
