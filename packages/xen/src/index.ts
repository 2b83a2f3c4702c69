export { XEN_TYPES, XEN_STRUCT_NAMES, xenTypes } from "./types.js";
export {
  KEXEC_OP,
  ARGO_OP,
  MULTICALL,
  MEMORY_OP,
  XEN_HYPERCALLS,
  findXenHypercall,
  xenHypercall,
  xenCommand,
  encodeXenCommand,
  type XenHypercall,
  type XenCommand,
  type XenAvailability,
} from "./hypercalls.js";
export {
  KEXEC_TYPE_DEFAULT,
  KEXEC_TYPE_CRASH,
  XEN_KEXEC_MAX_SEGMENTS,
  planKexecLoad,
  validateKexecSegments,
  xenKexecRules,
  type KexecLoadPlan,
  type KexecSegmentValue,
} from "./kexec.js";
export { XEN_KEXEC_SEGMENT_SIZE, XEN_KEXEC_LOAD_SIZE, encodeXenKexecSegments, encodeXenKexecLoad, type XenLayout } from "./kexec-structs.js";
export {
  XEN_ARGO_MAXIOV,
  XEN_ARGO_MAX_RING_SIZE,
  XEN_ARGO_MSG_SLOT_SIZE,
  XEN_ARGO_MESSAGE_HEADER_SIZE,
  XEN_ARGO_MAX_MESSAGE_SIZE,
  XEN_ARGO_RING_HEADER_SIZE,
  XEN_ARGO_MIN_RING_SIZE,
  XEN_ARGO_REGISTER_FLAG_FAIL_EXIST,
  argoRingPages,
  validateArgoRing,
  argoRegisterRing,
  argoUnregisterRing,
  argoSendv,
  argoNotify,
  argoMessageFootprint,
  type ArgoAddr,
} from "./argo.js";
export { MulticallArgumentError, encodeMulticall, decodeMulticall, type MulticallEntryValue } from "./multicall.js";
export { DOMID_SELF, XENMAPSPACE, memoryReservation, memoryMap, addToPhysmap } from "./memory.js";
export { XEN_VERSION, CONSOLE_IO, SCHED_OP, EVENT_CHANNEL_OP } from "./hypercalls.js";
export { parseXenRunScript, XenRunScriptError, type XenRunCallSpec, type XenRunValue } from "./run/script.js";
export { planXenPayload, THIRTY_TWO_BIT_RULE, type PlannedBlock, type PlannedCall, type PlannedBuffer } from "./run/payload.js";
export { checkPageHashes, pageHash, readHashedBlock, type MemoryReader } from "./run/page-hashes.js";
export { blockFrames, decodePvhBoot, decodeXenRun, findPayloadBlock, readArgoRing, type XenCallResult, type ArgoMessage, type DecodedValue, type PvhBootFacts } from "./run/results.js";
export { xenKexecCalls } from "./run/kexec-calls.js";
export { XEN_RUN_FLAVOURS, PAYLOAD_DATA_OFFSET, xenRunFlavour, type XenRunFlavour, type XenRunMachine } from "./run/flavours.js";
export { PAYLOAD_HEADER, CALL_ENTRY, FRAME_TABLE_SLOTS } from "./run/data-block.js";
export * as xenNote from "./elf-notes.js";
export {
  XEN_NOTE_NAME,
  XEN_ELFNOTE_PHYS32_ENTRY,
  XEN_ELFNOTE_PHYS32_RELOC,
  XEN_PVH_ENTRY_SOURCE,
  XEN_ELF_NOTES,
  XEN_ELF_IMAGE_FORMAT,
  xenElfImageFormat,
  decodeXenNotes,
  xenNoteTypeName,
  type XenNote,
  type XenNotes,
  type Phys32Reloc,
} from "./elf-notes.js";
