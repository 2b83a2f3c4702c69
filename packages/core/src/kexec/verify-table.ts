/**
 * The region table a hand-off stub checks before it jumps: for each segment,
 * where it lies and the SHA-256 (FIPS 180-4) of the `memsz` bytes memory must
 * hold there — the `bufsz` bytes of its buffer, then zeros (the same bytes
 * `@handoff/node`'s `digestSegments` and kexec purgatory hash). Unlike
 * kexec-tools' purgatory, which folds every region into one digest, each
 * region carries its own, so a mismatch names the segment.
 *
 * Table layout in the stub's data block (symbols `hd_verify_count`,
 * `hd_verify_regions`, `hd_verify_regions_end`), little-endian:
 *   count: one word;
 *   per region: start (word), len (word), digest (32 bytes, as FIPS 180-4
 *   prints it: H0 first, each word big-endian).
 * A word is 4 bytes on x86_32, arm32 and x86_64 (whose stub checks in 32-bit
 * mode, before paging), 8 on arm64. An empty table (count 0) skips the check:
 * `--no-verify`.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "../bits.js";
import { ValidationError } from "../errors.js";
import type { Segment } from "../image.js";
import type { StubImage } from "../link/stub-code.js";
import type { KexecLoadSegment } from "./live-backend.js";

/** One checked region of a segment, named for reports: `[start, start + len)` must hash to `sha256`. */
export interface VerifyRegion {
  readonly name: string;
  readonly sha256: Uint8Array;
  readonly start: bigint;
  readonly len: bigint;
}

/** Regions a stub's table holds: Linux's KEXEC_SEGMENT_MAX (include/linux/kexec.h), every plan's bound. */
export const VERIFY_MAX_REGIONS = 16;
/** Bytes of a SHA-256 digest. */
export const SHA256_BYTES = 32;

/**
 * An incremental SHA-256 (FIPS 180-4). Core's default is @noble/hashes'; a
 * host may pass a native one (the CLI passes node:crypto's, which matters
 * under emulation: hashing a 27 MiB kernel in JS inside a TCG VM takes minutes).
 */
export interface Sha256Hasher {
  /** A fresh hash state. */
  create(): Sha256State;
}

/** One running SHA-256. */
export interface Sha256State {
  /** Hash `bytes` next. */
  update(bytes: Uint8Array): unknown;
  /** The 32-byte digest of everything hashed. */
  digest(): Uint8Array;
}

/** Bytes per table entry for a word size. */
export const verifyEntryBytes = (word: 4 | 8): number => 2 * word + SHA256_BYTES;

/**
 * The region table for `segments` (in their order): each segment's digest over
 * its `memsz` bytes. Only in-memory segments can be hashed here (core reads no
 * files); a file-backed one is a typed error.
 */
export function segmentVerifyRegions(segments: readonly Segment[], what = "segment check", hasher: Sha256Hasher = sha256): VerifyRegion[] {
  if (segments.length > VERIFY_MAX_REGIONS) throw new ValidationError(what, `${segments.length} segments exceed the stub's table of ${VERIFY_MAX_REGIONS}`);
  return segments.map((s, i) => {
    const name = s.name ?? s.role;
    if (s.data.kind !== "bytes") throw new ValidationError(`${what} segment[${i}] (${name})`, `data is ${s.data.kind}, not bytes in memory`);
    if (BigInt(s.data.bytes.length) !== s.bufsz || s.bufsz > s.memsz) throw new ValidationError(`${what} segment[${i}] (${name})`, `bufsz ${hex(s.bufsz)} disagrees with its ${s.data.bytes.length} bytes or exceeds memsz ${hex(s.memsz)}`);
    const h = hasher.create();
    h.update(s.data.bytes);
    const zeros = new Uint8Array(Math.min(Number(s.memsz - s.bufsz), 1 << 20));
    for (let left = s.memsz - s.bufsz; left > 0n; left -= BigInt(zeros.length)) h.update(left >= BigInt(zeros.length) ? zeros : zeros.subarray(0, Number(left)));
    return { start: s.mem, len: s.memsz, sha256: h.digest(), name };
  });
}

/**
 * Write `regions` into `stub`'s table (word = 4 or 8 bytes). Refuses more
 * regions than the table holds and addresses or lengths wider than a word.
 */
export function writeVerifyTable(stub: StubImage, regions: readonly VerifyRegion[], word: 4 | 8): StubImage {
  const entry = verifyEntryBytes(word);
  const room = stub.offset("hd_verify_regions_end") - stub.offset("hd_verify_regions");
  if (regions.length * entry > room) throw new ValidationError(stub.label, `${regions.length} verify regions do not fit its table of ${Math.floor(room / entry)}`);
  stub.write("hd_verify_count", BigInt(regions.length), word);
  const table = new Uint8Array(regions.length * entry);
  const view = new DataView(table.buffer);
  regions.forEach((r, i) => {
    if (r.sha256.length !== SHA256_BYTES) throw new ValidationError(stub.label, `verify region ${i} (${r.name}): digest of ${r.sha256.length} bytes, not ${SHA256_BYTES}`);
    const max = word === 4 ? 0xffff_ffffn : 0xffff_ffff_ffff_ffffn;
    if (r.start > max || r.len > max || r.start + r.len - 1n > max) throw new ValidationError(stub.label, `verify region ${i} (${r.name}) ${hex(r.start)}+${hex(r.len)} does not fit ${word * 8}-bit words`);
    if (word === 4) {
      view.setUint32(i * entry, Number(r.start), true);
      view.setUint32(i * entry + 4, Number(r.len), true);
    } else {
      view.setBigUint64(i * entry, r.start, true);
      view.setBigUint64(i * entry + 8, r.len, true);
    }
    table.set(r.sha256, i * entry + 2 * word);
  });
  return stub.writeBytes("hd_verify_regions", table, "hd_verify_regions_end");
}

/** What a stub checks before it jumps, and where it reports a mismatch. */
export interface SegmentCheck {
  readonly regions: readonly VerifyRegion[];
  /** The UART the stub writes its mismatch line to (x86: 16550 I/O port; Arm: PL011 data register address); 0 or absent = none. */
  readonly console?: bigint;
}

/** The check for `segments`, or an empty one (no regions: the stub checks nothing) when `noVerify`. */
export function segmentCheck(segments: readonly Segment[], options: { readonly noVerify?: boolean; readonly console?: bigint; readonly hasher?: Sha256Hasher } = {}): SegmentCheck {
  return { regions: options.noVerify ? [] : segmentVerifyRegions(segments, "segment check", options.hasher), ...(options.console === undefined ? {} : { console: options.console }) };
}

/**
 * The check for kexec_load segments (what a live plan hands the kernel): each
 * segment's `memsz` bytes, its buffer then the zeros the kernel fills in.
 */
export function kexecSegmentCheck(segments: readonly KexecLoadSegment[], options: { readonly noVerify?: boolean; readonly console?: bigint; readonly hasher?: Sha256Hasher } = {}): SegmentCheck {
  const asSegments: Segment[] = segments.map((s, i) => ({ data: { kind: "bytes", bytes: s.bytes }, bufsz: BigInt(s.bytes.length), mem: s.mem, memsz: s.memsz, role: "other", name: s.name ?? `segment ${i}` }));
  return segmentCheck(asSegments, options);
}
