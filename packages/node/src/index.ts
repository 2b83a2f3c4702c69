/**
 * @handoff/node: the Node.js edge of handoff — everything that touches the
 * file system or the running machine. Core stays pure (no `node:*`).
 * @packageDocumentation
 */
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
  DEFAULT_DIGEST_CHUNK,
  type SegmentDigest,
  type SegmentDigests,
  type PurgatoryRegion,
  type DigestOptions,
} from "./segment-digest.js";
