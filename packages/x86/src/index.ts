export {
  X86_SEGMENT_REGISTERS,
  LEGACY_GPR_STEMS,
  segmentRegisterSpecs,
  controlRegisterSpecs,
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
  hypercallPageStub,
} from "./hypercall.js";
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
export { writePvhElf, type PvhElfOptions, type PvhLoad } from "./pvh-elf.js";
export { handoffSegmentState, checkSegmentsAgainstGdt, EFLAGS_RESERVED_ONE, type SegmentClauses, type SegmentRegisterReader } from "./handoff-segments.js";
export { planX86Efi, readEfiInfo, encodeEfiInfo, SETUP_EFI, EFI_INFO_OFFSET, EFI_INFO_SIZE, EFI_MEMDESC_SIZE, type EfiInfo, type X86EfiPlan, type X86EfiData } from "./efi-kexec.js";
export { pvhDefinitions, minimalStartInfo, CR0_PE_ET, XEN_HVM_START_MAGIC_VALUE, type PvhEntryOptions } from "./pvh-state.js";
export { PC_MEMORY_LAYOUT } from "./pc-layout.js";
export { planX86Linux, planX86LinuxForStub, pcMemoryMap, pcLowMemory, placeInitrdHigh, X86_LINUX_MACHINE, X86_LINUX_INITRD_CEILING, SEABIOS_HIGH_TABLES, type X86LinuxPlan, type X86LinuxRequest, type X86StubLayout } from "./linux-boot.js";
export { bzImagePayloadFormat, bzImagePayload, extractBzImagePayload, BZIMAGE_PAYLOAD_FORMAT_ID, type BzImagePayload } from "./bzimage-payload.js";
export { pvhElfArtefact, type PvhArtefactParts } from "./pvh-artefact.js";
export { PC_COM1_PORT } from "./uart.js";
export { planX86LinuxKexec, x86CaptureE820, type X86KexecPlanOptions } from "./kexec.js";
export { buildIa32Stub, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, type Ia32StubOptions, type IndirectionListRef } from "./ia32-stub/stub.js";
export {
  buildPvhStartInfo,
  decodePvhStartInfo,
  HVM_START_INFO_SIZE,
  HVM_MODLIST_ENTRY_SIZE,
  HVM_MEMMAP_ENTRY_SIZE,
  START_INFO_RSDP_OFFSET,
  type PvhStartInfo,
  type PvhStartInfoRequest,
  type PvhModule,
} from "./pvh-start-info.js";
export { planPvhLinux, pvhKernelElf, buildPvhLinuxArtefact, PVH_LINUX_LAYOUT, type PvhLinuxPlan, type PvhLinuxRequest, type PvhStateMaker } from "./pvh-linux.js";
export { acpiTables, findRsdp, RSDP_SEARCH, type AcpiTable, type PhysicalReader } from "./acpi-tables.js";
export { pvhPayloadArtefact, type PvhPayloadLayout } from "./pvh-payload.js";
export { X86_PTE, X86_PAGING_NOTES, X86_TABLE_ENTRY, IA32_PAT_DEFAULT, x86LeafEntry, x86PagingRegisters, type X86PagingMode } from "./paging-entries.js";
export { x86PagingState, x86LeafMemoryType, type X86PagingState } from "./paging-walk.js";
export { wrapBzImageAsPvh, PVH_WRAP_LAYOUT, X86_PVH_WRAP_STUB, type PvhWrapRequest, type PvhWrapped, type PvhWrapLoad } from "./pvh-wrap.js";
export { EM_386, EM_X86_64 } from "./elf-machines.js";
export { type X86Width, type X86PayloadPlacement, type X86StubEntry, type X86StubTables } from "./width.js";
export { makeX86ArtefactBuilder, X86_PC_PAYLOAD_LAYOUT } from "./artefact.js";
export { makeX86LinuxBootBuilder } from "./linux-builder.js";
export { x86ArchitectureBase } from "./family.js";
