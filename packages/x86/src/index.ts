export {
  X86_SEGMENT_REGISTERS,
  LEGACY_GPR_STEMS,
  segmentRegisterSpecs,
  descriptorTableSpecs,
  legacySliceSpecs,
} from "./registers.js";
