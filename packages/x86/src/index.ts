export {
  X86_SEGMENT_REGISTERS,
  LEGACY_GPR_STEMS,
  segmentRegisterSpecs,
  descriptorTableSpecs,
  legacySliceSpecs,
} from "./registers.js";
export {
  I386_DATA_MODEL,
  X86_64_DATA_MODEL,
  VMCALL,
  VMMCALL,
  SYSCALL,
  INT_0X82,
  X86_64_XEN_CONVENTION,
  X86_32_XEN_CONVENTION,
  X86_32_COMPAT_XEN_CONVENTION,
  x86HypercallPageStub,
} from "./hypercall.js";
