import { alignDown, alignUp, checkedAdd64, hex } from "../bits.js";
import { ValidationError } from "../errors.js";
import type { Segment, SegmentRole } from "../image.js";
import type { MemoryMap, MemoryType } from "../memory-map.js";
import type { Mapping, MappingAttributes, MemoryKind, PageTableBuild, PageTableFormat } from "./types.js";

/** A physical range the hand-off needs identity-mapped, with what it needs to do there. */
export interface HandoffRegion {
  readonly start: bigint;
  readonly size: bigint;
  readonly writable: boolean;
  readonly executable: boolean;
  /** Defaults to `normal`; `device` for MMIO the hand-off itself touches (a UART). */
  readonly memoryType?: MemoryKind;
  readonly name?: string;
}

/**
 * Which addresses the hand-off tables map. Explicit, default first:
 * - `segments`: exactly the given regions (the image's segments and the hand-off's
 *   own pages), identity-mapped, page-granular;
 * - `first-n-gib`: identity-map [0, N GiB); RAM (per `memoryMap`) as normal memory,
 *   everything else as `unknownAs` (default device, never cacheable);
 * - `all-ram`: identity-map every RAM range of `memoryMap`, nothing else.
 * Page 0 stays unmapped unless `mapPageZero` is set.
 */
export type MappingPolicy =
  | { readonly kind: "segments"; readonly regions: readonly HandoffRegion[]; readonly memoryMap?: MemoryMap; readonly mapPageZero?: boolean }
  | {
      readonly kind: "first-n-gib";
      readonly gib: bigint;
      readonly memoryMap?: MemoryMap;
      /** How to map what the memory map does not call RAM (or everything, without a map). */
      readonly unknownAs?: "device" | "unmapped";
      readonly mapPageZero?: boolean;
    }
  | { readonly kind: "all-ram"; readonly memoryMap: MemoryMap; readonly mapPageZero?: boolean };

/** The mapping policy used when none is chosen: identity-map exactly the planned segments. */
export const DEFAULT_POLICY_KIND = "segments";

const GIB = 1n << 30n;

/** Segment roles whose pages are executed at or after the hand-off. */
const EXECUTABLE_ROLES: ReadonlySet<SegmentRole> = new Set<SegmentRole>(["kernel", "setup", "stub", "purgatory"]);

/**
 * Regions for the `segments` policy from image/hand-off segments: every segment
 * writable (kernels decompress and relocate in place), executable only when its
 * role is code (kernel, setup, stub, purgatory).
 */
export function regionsFromSegments(segments: readonly Segment[]): HandoffRegion[] {
  return segments
    .filter((s) => s.memsz > 0n)
    .map((s, i) => ({ start: s.mem, size: s.memsz, writable: true, executable: EXECUTABLE_ROLES.has(s.role), name: s.name ?? `${s.role}[${i}]` }));
}

const NORMAL_RWX: MappingAttributes = { writable: true, executable: true, memoryType: "normal" };
const NORMAL_RW: MappingAttributes = { writable: true, executable: false, memoryType: "normal" };
const DEVICE_RW: MappingAttributes = { writable: true, executable: false, memoryType: "device" };

/** Memory-map types that are ordinary memory (cacheable) but hold firmware data, not code. */
const NORMAL_DATA_TYPES: ReadonlySet<MemoryType> = new Set<MemoryType>(["acpi", "nvs", "persistent"]);

/** The identity mappings a policy asks for, page-granular for `pageSize`. */
export function mappingsForPolicy(policy: MappingPolicy, pageSize: bigint): Mapping[] {
  switch (policy.kind) {
    case "segments":
      return segmentMappings(policy.regions, pageSize, policy.memoryMap, policy.mapPageZero === true);
    case "first-n-gib": {
      if (policy.gib <= 0n) throw new ValidationError("first-n-gib policy", "N must be at least 1");
      const end = checkedAdd64(0n, policy.gib * GIB, "first-n-gib policy");
      return firstNGib(end, pageSize, policy.memoryMap, policy.unknownAs ?? "device", policy.mapPageZero === true);
    }
    case "all-ram": {
      const out: Mapping[] = [];
      for (const r of policy.memoryMap.ram()) {
        let start = alignUp(r.start, pageSize);
        const end = alignDown(r.start + r.size, pageSize);
        if (start === 0n && !policy.mapPageZero) start = pageSize;
        if (end > start) out.push({ va: start, pa: start, size: end - start, attributes: NORMAL_RWX });
      }
      return out;
    }
    default: {
      const never: never = policy;
      throw new ValidationError("mapping policy", `unknown policy ${JSON.stringify(never)}`);
    }
  }
}

function segmentMappings(regions: readonly HandoffRegion[], pageSize: bigint, memoryMap: MemoryMap | undefined, mapPageZero: boolean): Mapping[] {
  // Cut page-rounded regions into elementary intervals; where regions share a
  // page the page gets the union of their permissions (same memory type required).
  const cuts = new Set<bigint>();
  const rounded = regions.map((r, i) => {
    const subject = `region ${r.name ?? i}`;
    if (r.size <= 0n) throw new ValidationError(subject, "empty region");
    const end = alignUp(checkedAdd64(r.start, r.size, subject), pageSize);
    const start = alignDown(r.start, pageSize);
    if (start === 0n && !mapPageZero) throw new ValidationError(subject, `covers page 0 (${hex(r.start)}..${hex(r.start + r.size)}); page 0 stays unmapped unless mapPageZero is set`);
    const memoryType = r.memoryType ?? "normal";
    if (memoryType === "normal" && memoryMap) {
      for (const range of memoryMap.ranges) {
        if (range.type === "ram" || NORMAL_DATA_TYPES.has(range.type)) continue;
        if (range.start < end && start < range.start + range.size) {
          throw new ValidationError(subject, `${hex(start)}..${hex(end)} overlaps ${range.type} memory at ${hex(range.start)}, which is never mapped as normal memory`);
        }
      }
    }
    cuts.add(start);
    cuts.add(end);
    return { start, end, r: { ...r, memoryType } };
  });
  const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Mapping[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const lo = points[i]!;
    const hi = points[i + 1]!;
    const covering = rounded.filter((x) => x.start <= lo && hi <= x.end);
    if (covering.length === 0) continue;
    const types = new Set(covering.map((c) => c.r.memoryType));
    if (types.size > 1) throw new ValidationError(`page ${hex(lo)}`, "regions sharing a page ask for both normal and device memory");
    const memoryType = covering[0]!.r.memoryType;
    const attributes: MappingAttributes = {
      writable: covering.some((c) => c.r.writable),
      executable: covering.some((c) => c.r.executable),
      memoryType,
    };
    out.push({ va: lo, pa: lo, size: hi - lo, attributes });
  }
  return out;
}

function firstNGib(end: bigint, pageSize: bigint, memoryMap: MemoryMap | undefined, unknownAs: "device" | "unmapped", mapPageZero: boolean): Mapping[] {
  const out: Mapping[] = [];
  const push = (start: bigint, stop: bigint, attributes: MappingAttributes) => {
    if (start === 0n && !mapPageZero) start = pageSize;
    if (stop <= start) return;
    const last = out[out.length - 1];
    if (last && last.va + last.size === start && last.attributes === attributes) out[out.length - 1] = { ...last, size: stop - last.va };
    else out.push({ va: start, pa: start, size: stop - start, attributes });
  };
  let cursor = 0n;
  const unknown = (start: bigint, stop: bigint) => {
    if (unknownAs === "device") push(start, stop, DEVICE_RW);
  };
  for (const r of memoryMap?.ranges ?? []) {
    if (cursor >= end) break;
    const normal = r.type === "ram" || NORMAL_DATA_TYPES.has(r.type);
    // Normal memory shrinks inwards to whole pages; device memory grows outwards,
    // so a page shared by RAM and MMIO is never cacheable.
    const start = normal ? alignUp(r.start, pageSize) : alignDown(r.start, pageSize);
    let stop = normal ? alignDown(r.start + r.size, pageSize) : alignUp(r.start + r.size, pageSize);
    if (stop > end) stop = end;
    if (stop <= cursor || stop <= start) continue;
    const from = start < cursor ? cursor : start;
    if (from > cursor) unknown(cursor, from);
    if (normal) push(from, stop, r.type === "ram" ? NORMAL_RWX : NORMAL_RW);
    else unknown(from, stop);
    cursor = stop;
  }
  if (cursor < end) unknown(cursor, end);
  return out;
}

/** Add an identity mapping of [start, start+size) (page-rounded) where no mapping covers it yet. */
export function addIdentityRegion(mappings: readonly Mapping[], start: bigint, size: bigint, pageSize: bigint, attributes: MappingAttributes): Mapping[] {
  const lo = alignDown(start, pageSize);
  const hi = alignUp(start + size, pageSize);
  const sorted = [...mappings].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  const out = [...sorted];
  let cursor = lo;
  for (const m of sorted) {
    if (cursor >= hi) break;
    const mEnd = m.va + m.size;
    if (mEnd <= cursor) continue;
    if (m.va >= hi) break;
    if (m.va > cursor) out.push({ va: cursor, pa: cursor, size: m.va - cursor, attributes });
    cursor = mEnd;
  }
  if (cursor < hi) out.push({ va: cursor, pa: cursor, size: hi - cursor, attributes });
  return out;
}

/** Result of {@link planPageTables}: the built tables and the mappings the policy asked for. */
export interface PlannedPageTables {
  readonly build: PageTableBuild;
  readonly policy: MappingPolicy["kind"];
  /** Mappings the policy asked for, before the tables' own pages were added. */
  readonly policyMappings: readonly Mapping[];
}

/**
 * Mappings for `policy`, then tables for them at `tableBase`. With `mapTables`
 * (default: on for the `segments` policy) the tables' own pages are
 * identity-mapped too, read/write, never executable; since that can add tables,
 * the build repeats until the table segment stops growing (bounded).
 */
export function planPageTables(
  format: PageTableFormat,
  policy: MappingPolicy,
  options: { readonly tableBase: bigint; readonly mapTables?: boolean },
): PlannedPageTables {
  const pageSize = format.pageSizes[0]!;
  const policyMappings = mappingsForPolicy(policy, pageSize);
  const mapPageZero = policy.mapPageZero === true;
  const mapTables = options.mapTables ?? policy.kind === "segments";
  let build = format.build(policyMappings, { tableBase: options.tableBase, mapPageZero });
  if (!mapTables) return { build, policy: policy.kind, policyMappings };
  for (let round = 0; round < 8; round++) {
    const withTables = addIdentityRegion(policyMappings, options.tableBase, build.tableBytes, pageSize, NORMAL_RW);
    const next = format.build(withTables, { tableBase: options.tableBase, mapPageZero });
    if (next.tableBytes <= build.tableBytes) return { build: next, policy: policy.kind, policyMappings };
    build = next;
  }
  throw new ValidationError(`${format.id} tables`, "table segment did not settle while mapping its own pages");
}
