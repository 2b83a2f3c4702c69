/**
 * @handoff/node: the Node.js edge of handoff — everything that touches the
 * file system or the running machine. Core stays pure (no `node:*`).
 * @packageDocumentation
 */
export { FileAccessError, type FileProblem } from "./file-errors.js";
export { readFileBounded, regularFileSize, openRegularFile, withRandomAccessFile, type ReadLimits } from "./read-file.js";
export {
  readBootFiles,
  loadImageFile,
  DEFAULT_BOOT_FILE_LIMITS,
  type BootFileLimits,
  type BootFilePaths,
  type BootFiles,
  type LoadImageOptions,
  type LoadedImage,
} from "./boot-files.js";
export { checkOutputFile } from "./output-target.js";
export { writeDirectorySet, SET_MARKER, type SetFile, type DirectorySetOptions, type DirectorySetResult } from "./directory-set.js";
export {
  writeFileAtomic,
  segmentPieces,
  type WritePiece,
  type WriteSource,
  type AtomicWriteOptions,
  type AtomicWriteResult,
} from "./atomic-write.js";
export {
  digestSegments,
  digestJobOf,
  postLargestFirst,
  DEFAULT_DIGEST_CHUNK,
  type SegmentDigest,
  type SegmentDigests,
  type PurgatoryRegion,
  type DigestOptions,
} from "./segment-digest.js";
export { DigestWorker, DigestJobFailed, type DigestJob, type DigestJobProblem, type PostedDigestJob } from "./digest-worker.js";
export {
  readPseudoFile,
  readIomemMap,
  readFirmwareMemmap,
  readProcCmdline,
  readKexecStatus,
  readRunningFdt,
  readRunningBootParams,
  readRunningEfi,
  readCrashFacts,
  type KexecStatus,
  type RunningCrashFacts,
} from "./running-machine.js";
export {
  SyscallKexecBackend,
  type KexecSyscallMachine,
  kexecGuardRefusal,
  isHandoffTestVm,
  activeTestRuns,
  registerTestRun,
  assertKexecAllowed,
  explainKexecErrno,
  TEST_VM_MARKER,
  TEST_VM_PID1_ENV,
  REAL_KEXEC_ENV,
  TEST_RUN_ENV,
  TEST_RUN_REGISTRIES,
  TEST_FLIP_SEGMENT_ENV,
  testVmSegmentFault,
  type GuardInputs,
} from "./kexec-syscalls.js";
export { inflateAhead, type InflateAheadOptions } from "./inflate-ahead.js";
export { nodeCodecs, installNodeCodecs, NATIVE_CODEC_LIBRARIES, NATIVE_CODECS_ENV, type NodeCodecOptions, type ModuleLoader } from "./native-codecs.js";
