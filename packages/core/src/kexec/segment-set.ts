import { hex, isAligned, U64_LIMIT } from "../bits.js";
import { ValidationError } from "../errors.js";
import type { Segment } from "../image.js";
import type { MemoryMap } from "../memory-map.js";

/**
 * The limits a consumer of a segment list enforces. They are parameters of the
 * consumer, never of the data: Linux `kexec_load` accepts 16 segments
 * (KEXEC_SEGMENT_MAX), Xen's KEXEC_CMD_kexec_load 15 (it refuses
 * `nr_segments >= KEXEC_SEGMENT_MAX`, with the same constant 16).
 */
export interface SegmentRules {
  /** Granule `mem` and `mem + memsz` must be aligned to. */
  readonly pageSize: bigint;
  /** Most segments accepted; undefined = no limit. */
  readonly maxSegments?: number;
  /**
   * Exclusive bound on segment ends. Linux refuses `mem + memsz >=
   * KEXEC_DESTINATION_MEMORY_LIMIT`, so a segment may end at `limit - 1` at most
   * (in practice: last page-aligned end below the limit).
   */
  readonly destinationLimit?: bigint;
  /** When given, every segment must lie in RAM of this map. */
  readonly memoryMap?: MemoryMap;
  /**
   * Most memory all segments together may take, in bytes (Linux: half the
   * pages of RAM, per segment and in total). Undefined = no limit.
   */
  readonly maxTotalMemory?: bigint;
}

/** Linux `kexec_load` (kernel/kexec_core.c sanity_check_segment_list, kernel/kexec.c KEXEC_SEGMENT_MAX). */
export function linuxKexecRules(pageSize: bigint, extra: Partial<SegmentRules> = {}): SegmentRules {
  return { pageSize, maxSegments: 16, ...extra };
}


/** Which rule a segment list broke. */
export type SegmentRule =
  | "count"
  | "alignment"
  | "wrap"
  | "bufsz"
  | "overlap"
  | "ram"
  | "limit"
  | "total";

/** A segment list that breaks a rule; names the segment(s) involved (both, for an overlap). */
export class SegmentSetError extends ValidationError {
  constructor(
    readonly rule: SegmentRule,
    /** Indices of the offending segments (two for an overlap). */
    readonly segments: readonly number[],
    reason: string,
    /** Descriptions of the offending segments (see `describeSegment`); default `segment[i]`. */
    described?: readonly string[],
  ) {
    super(segments.length === 0 ? "segment list" : (described ?? segments.map((i) => `segment[${i}]`)).join(" and "), reason);
  }
}

/** Short label of a segment for messages: `segment[2] (initrd, 0x1000..0x5000)`. */
export function describeSegment(segment: Segment, index: number): string {
  const what = segment.name ? `${segment.role} ${segment.name}` : segment.role;
  return `segment[${index}] (${what}, ${hex(segment.mem)}..${hex(segment.mem + segment.memsz)})`;
}

/**
 * A segment list that passed validation: page-aligned, non-wrapping,
 * non-overlapping, each `bufsz <= memsz`, within the given limits.
 */
export class SegmentSet {
  private constructor(
    readonly segments: readonly Segment[],
    readonly rules: SegmentRules,
  ) {}

  /**
   * Check `segments` against `rules` (the Linux sanity rules plus RAM
   * containment) and return them as a `SegmentSet`, or throw a
   * `SegmentSetError` naming the offending segment(s).
   */
  static validate(segments: readonly Segment[], rules: SegmentRules): SegmentSet {
    const { pageSize } = rules;
    if (pageSize <= 0n || (pageSize & (pageSize - 1n)) !== 0n) {
      throw new ValidationError("segment rules", `page size ${hex(pageSize)} is not a power of two`);
    }
    if (rules.maxSegments !== undefined && segments.length > rules.maxSegments) {
      throw new SegmentSetError("count", [], `${segments.length} segments, more than the ${rules.maxSegments} allowed`);
    }
    segments.forEach((s, i) => {
      if (s.mem < 0n || s.memsz < 0n || s.bufsz < 0n || s.mem >= U64_LIMIT) {
        throw new SegmentSetError("wrap", [i], `negative or out-of-range field`, [describeSegment(s, i)]);
      }
      if (s.mem + s.memsz >= U64_LIMIT) {
        throw new SegmentSetError("wrap", [i], `mem ${hex(s.mem)} + memsz ${hex(s.memsz)} wraps past 2^64`, [describeSegment(s, i)]);
      }
      if (!isAligned(s.mem, pageSize) || !isAligned(s.mem + s.memsz, pageSize)) {
        throw new SegmentSetError("alignment", [i], `start and end must be ${hex(pageSize)}-aligned`, [describeSegment(s, i)]);
      }
      if (s.bufsz > s.memsz) {
        throw new SegmentSetError("bufsz", [i], `bufsz ${hex(s.bufsz)} exceeds memsz ${hex(s.memsz)}`, [describeSegment(s, i)]);
      }
      if (rules.destinationLimit !== undefined && s.mem + s.memsz >= rules.destinationLimit) {
        throw new SegmentSetError("limit", [i], `ends at or above the destination limit ${hex(rules.destinationLimit)}`, [describeSegment(s, i)]);
      }
      if (rules.maxTotalMemory !== undefined && s.memsz > rules.maxTotalMemory) {
        throw new SegmentSetError("total", [i], `memsz exceeds the ${hex(rules.maxTotalMemory)} allowed`, [describeSegment(s, i)]);
      }
    });
    // Sorted sweep instead of Linux's O(n^2) pairs: same half-open test, and the
    // first overlapping pair found names both segments.
    const order = segments.map((_, i) => i).filter((i) => segments[i]!.memsz > 0n);
    order.sort((a, b) => (segments[a]!.mem < segments[b]!.mem ? -1 : segments[a]!.mem > segments[b]!.mem ? 1 : a - b));
    let prev: number | undefined;
    for (const i of order) {
      const s = segments[i]!;
      if (prev !== undefined) {
        const p = segments[prev]!;
        if (s.mem < p.mem + p.memsz) {
          const [a, b] = prev < i ? [prev, i] : [i, prev];
          throw new SegmentSetError("overlap", [a, b], "the ranges overlap", [describeSegment(segments[a]!, a), describeSegment(segments[b]!, b)]);
        }
      }
      if (prev === undefined || s.mem + s.memsz > segments[prev]!.mem + segments[prev]!.memsz) prev = i;
    }
    // Linux's test `mend > pstart && mstart < pend` also catches an empty segment strictly inside another.
    segments.forEach((z, i) => {
      if (z.memsz !== 0n) return;
      segments.forEach((s, j) => {
        if (j !== i && s.memsz > 0n && z.mem > s.mem && z.mem < s.mem + s.memsz) {
          const [a, b] = i < j ? [i, j] : [j, i];
          throw new SegmentSetError("overlap", [a, b], "the ranges overlap", [describeSegment(segments[a]!, a), describeSegment(segments[b]!, b)]);
        }
      });
    });
    if (rules.maxTotalMemory !== undefined) {
      const total = segments.reduce((sum, s) => sum + s.memsz, 0n);
      if (total > rules.maxTotalMemory) {
        throw new SegmentSetError("total", [], `segments take ${hex(total)} bytes, more than the ${hex(rules.maxTotalMemory)} allowed`);
      }
    }
    if (rules.memoryMap !== undefined) {
      const map = rules.memoryMap;
      segments.forEach((s, i) => {
        if (s.memsz > 0n && !map.covers(s.mem, s.mem + s.memsz, "ram")) {
          throw new SegmentSetError("ram", [i], `not wholly inside RAM`, [describeSegment(s, i)]);
        }
      });
    }
    return new SegmentSet(segments, rules);
  }
}
