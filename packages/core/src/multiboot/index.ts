export {
  findMultibootHeaders,
  multibootSummary,
  MULTIBOOT1_MAGIC,
  MULTIBOOT2_MAGIC,
  MULTIBOOT1_FLAGS,
  MULTIBOOT2_TAGS,
  type MultibootHeaders,
  type Multiboot1Header,
  type Multiboot2Header,
  type Multiboot2Tag,
  type MultibootProblem,
} from "./multiboot.js";
