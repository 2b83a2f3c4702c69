export { plugin, Arm32Architecture, ARM32_REGISTER_TABLE } from "./architecture.js";
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
