/**
 * @handoff/core/kexec: loading as a counted segment list — segment rules,
 * placement, the indirection list (one writer, its builders, its interpreter),
 * load plans and Linux's kexec_load segment encoding.
 * @packageDocumentation
 */
export { SegmentSet, SegmentSetError, linuxKexecRules, describeSegment, type SegmentRules, type SegmentRule } from "./segment-set.js";
export { Placer, PlacementError, type PlacementRequest } from "./placement.js";
export {
  IND_DESTINATION,
  IND_INDIRECTION,
  IND_DONE,
  IND_SOURCE,
  IND_ZERO,
  IndirectionListError,
  decodeListEntry,
  type ListEntry,
  type ListEntryKind,
  type ValidListEntry,
  type InvalidListEntry,
  readListWord,
  checkListEncoding,
  writeIndirectionList,
  contiguousPages,
  concatListPages,
  type ListEncoding,
  type ListPage,
  type ListWriteOptions,
  type WrittenList,
} from "./list-encoding.js";
export { buildIndirectionList, type RelocationSegment, type IndirectionBuildOptions, type IndirectionPlan, type SwapPage } from "./indirection-list.js";
export {
  layoutFlatPayload,
  layoutAlternatingPayload,
  type AlternatingPayloadOptions,
  layoutInPlaceList,
  type ContiguousListEncoding,
  type PlacedBytes,
  type FlatPayloadLayout,
  type FlatPayloadLayoutOptions,
  type InPlaceList,
  type InPlaceListOptions,
} from "./list-layouts.js";
export { SparseMemory, executeIndirectionList, type InterpreterOptions, type ExecutionResult } from "./indirection-interpreter.js";
export {
  KEXEC_ON_CRASH,
  KEXEC_PRESERVE_CONTEXT,
  KEXEC_ARCH_MASK,
  KEXEC_ARCH_DEFAULT,
  linuxKexecSegmentSize,
  linuxKexecFlags,
  encodeLinuxKexecSegments,
  decodeLinuxKexecSegments,
  type KexecSegmentEntry,
  type WordLayout,
} from "./kexec-segments.js";
export { planLoad, describeSegmentData, type LoadPlan, type LoadPlanInput, type PlannedSegment, type FileBlob } from "./load-plan.js";
export { rawImageFormat, type RawImageOptions } from "./raw-image.js";
export {
  VERIFY_MAX_REGIONS,
  SHA256_BYTES,
  verifyEntryBytes,
  segmentVerifyRegions,
  writeVerifyTable,
  segmentCheck,
  kexecSegmentCheck,
  type VerifyRegion,
  type SegmentCheck,
  type Sha256Hasher,
  type Sha256State,
} from "./verify-table.js";
export {
  KEXEC_FILE_UNLOAD,
  KEXEC_FILE_ON_CRASH,
  KEXEC_FILE_NO_INITRAMFS,
  LINUX_REBOOT_CMD_KEXEC,
  RecordingKexecBackend,
  KexecRefusedError,
  kexecLoadSegment,
  type KexecBackend,
  type KexecLoadSegment,
  type KexecLoadRequest,
  type KexecFileLoadRequest,
  type RecordedKexecCall,
} from "./live-backend.js";
export { parseEfiHex, parseEfiSystabSmbios, parseEfiRuntimeRegion, MAX_EFI_RUNTIME_REGIONS, type RunningEfi, type EfiRuntimeRegion } from "./running-efi.js";
export { parseIomem, memoryMapFromIomem, memoryMapFromFirmwareMemmap, parseLockdown, type IomemEntry, type FirmwareMemmapEntry } from "./running-machine.js";
export {
  buildCrashElfHeader,
  crashDumpRanges,
  parseVmcoreinfoLocation,
  parseCrashNotes,
  type CrashHeader,
  type CrashHeaderInput,
  type CrashNoteArea,
} from "./crash-header.js";
export {
  CRASH_KERNEL_RESOURCE,
  SYSTEM_RAM_RESOURCE,
  systemRamFromIomem,
  crashRegionsFromIomem,
  parseKexecCrashSize,
  captureCmdline,
  crashRegionTooSmall,
  type CrashRegions,
} from "./crash-load.js";
export { NT_PRSTATUS, VMCOREINFO_NOTE_NAME, isElfCore, readVmcore, vmcoreSourceOf, parseVmcoreinfo, type VmcoreSource, type Vmcore, type VmcoreLoad, type Vmcoreinfo } from "./vmcore.js";
