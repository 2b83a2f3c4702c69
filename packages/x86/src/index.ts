export {
  X86_SEGMENT_REGISTERS,
  LEGACY_GPR_STEMS,
  segmentRegisterSpecs,
  descriptorTableSpecs,
  legacySliceSpecs,
} from "./registers.js";
export {
  DESC,
  BOOT_SELECTORS,
  VMM_SELECTORS,
  buildHandoffGdt,
  encodeDescriptor,
  flatSegment,
  descriptorAttr,
  descriptorLimit,
  type GdtSelectors,
  type HandoffGdt,
  type SegmentDescriptor,
} from "./descriptors.js";
export { writePvhElf, XEN_ELFNOTE_PHYS32_ENTRY, type PvhElfOptions, type PvhLoad } from "./pvh-elf.js";
export { handoffSegmentState, checkSegmentsAgainstGdt, EFLAGS_RESERVED_ONE, type SegmentClauses, type SegmentRegisterReader } from "./handoff-segments.js";
export { pvhDefinitions, minimalStartInfo, CR0_PE_ET, XEN_HVM_START_MAGIC_VALUE, type PvhEntryOptions } from "./pvh-state.js";
