import { checkedAdd64, hex, U64_LIMIT } from "./bits.js";
import { FormatError, ValidationError } from "./errors.js";

/** e820-style memory types (ACPI 6.5 §15, "E820 address range types"). */
export type MemoryType = "ram" | "reserved" | "acpi" | "nvs" | "unusable" | "persistent" | "device";

const MEMORY_TYPES: readonly MemoryType[] = ["ram", "reserved", "acpi", "nvs", "unusable", "persistent", "device"];

/** `[start, start + size)` of one memory type. */
export interface MemoryRange {
  readonly start: bigint;
  readonly size: bigint;
  readonly type: MemoryType;
}

/** A half-open physical range `[start, end)`. */
export interface AddressRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** One `reg` entry of an FDT node, already decoded to numbers (by the FDT reader). */
export interface FdtRegRange {
  readonly start: bigint;
  readonly size: bigint;
}

/**
 * A typed range a machine always has, whatever its RAM size (e.g. the PC's
 * legacy VGA/BIOS hole). It is carved out of the RAM address space and counts
 * against the RAM size, as QEMU's PC machines do.
 */
export interface FixedRegion {
  readonly start: bigint;
  readonly size: bigint;
  readonly type: MemoryType;
}

/**
 * An MMIO window RAM must skip: RAM that would start at or above `start`
 * continues at `resume` instead (the PC's 32-bit PCI hole below 4 GiB).
 */
export interface RamSplit {
  readonly start: bigint;
  readonly resume: bigint;
}

/**
 * Where a machine puts its RAM, as data an `Architecture` supplies
 * (`Architecture.defaultMachine`). `MemoryMap.fromMachine(size, layout)` turns
 * it into a map for a given RAM size.
 */
export interface MachineMemoryLayout {
  /** e.g. `pc`, `virt`. */
  readonly id: string;
  readonly description: string;
  /** First RAM address; the RAM size counts from here. */
  readonly ramBase: bigint;
  /** Holes inside the RAM address space that count against the size. */
  readonly fixedRegions: readonly FixedRegion[];
  /** MMIO windows RAM jumps over (do not count against the size); sorted by start. */
  readonly splits: readonly RamSplit[];
  /** Largest RAM size the machine accepts, if it has one. */
  readonly maxRam?: bigint;
}

/** Label used in FormatErrors about memory-map JSON files. */
const JSON_FORMAT = "memory-map JSON";

/** Sorted, non-overlapping ranges of physical memory with their types. */
export class MemoryMap {
  readonly ranges: readonly MemoryRange[];

  private constructor(ranges: readonly MemoryRange[]) {
    this.ranges = ranges;
  }

  /** Validate and sort; overlapping or wrapping ranges are refused. */
  static of(ranges: readonly MemoryRange[]): MemoryMap {
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let prevEnd = -1n;
    sorted.forEach((r, i) => {
      if (r.size <= 0n) throw new ValidationError(`memory map range ${i}`, `empty range at ${hex(r.start)}`);
      const end = checkedAdd64(r.start, r.size, `memory map range ${i}`);
      if (r.start < prevEnd) throw new ValidationError(`memory map range ${i}`, `${hex(r.start)} overlaps the previous range`);
      prevEnd = end;
    });
    return new MemoryMap(sorted);
  }

  /**
   * The map a machine of `layout` has with `size` bytes of RAM: RAM from
   * `ramBase`, fixed holes carved out (and counted against the size), MMIO
   * windows skipped (not counted).
   */
  static fromMachine(size: bigint, layout: MachineMemoryLayout): MemoryMap {
    const subject = `${layout.id} machine with ${hex(size)} bytes of RAM`;
    if (size <= 0n) throw new ValidationError(subject, "RAM size must be positive");
    if (layout.maxRam !== undefined && size > layout.maxRam) {
      throw new ValidationError(subject, `more than the machine's ${hex(layout.maxRam)} bytes`);
    }
    const ranges: MemoryRange[] = [];
    let cursor = layout.ramBase;
    let left = size;
    const splits = [...layout.splits].sort((a, b) => (a.start < b.start ? -1 : 1));
    for (const split of splits) {
      if (left === 0n) break;
      if (split.start <= cursor) continue;
      const chunk = split.start - cursor < left ? split.start - cursor : left;
      ranges.push({ start: cursor, size: chunk, type: "ram" });
      left -= chunk;
      cursor = split.resume;
    }
    if (left > 0n) {
      checkedAdd64(cursor, left, subject);
      ranges.push({ start: cursor, size: left, type: "ram" });
    }
    let map = MemoryMap.of(ranges);
    for (const fixed of layout.fixedRegions) {
      const end = checkedAdd64(fixed.start, fixed.size, subject);
      // A fixed hole only exists where there is RAM around it (a 512 KiB machine has no hole at 1 MiB).
      if (fixed.start < map.end()) map = map.carve(fixed.start, end < map.end() ? end : map.end(), fixed.type);
    }
    return map;
  }

  /**
   * Parse a JSON memory map: `{"ranges": [{"start": "0x0", "size": "0x9fc00", "type": "ram"}, ...]}`
   * (or the bare array). `start`/`size` (or `end`, exclusive) are hex or decimal
   * strings or safe integers. Errors name the file and the JSON path.
   */
  static fromJson(text: string, file: string): MemoryMap {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (cause) {
      throw new FormatError(file, JSON_FORMAT, "$", undefined, `not JSON: ${(cause as Error).message}`, { cause });
    }
    let list: unknown = doc;
    let base = "$";
    if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
      list = (doc as Record<string, unknown>).ranges;
      base = "$.ranges";
    }
    if (!Array.isArray(list)) throw new FormatError(file, JSON_FORMAT, base, undefined, "expected an array of ranges");
    const ranges = list.map((item: unknown, i): MemoryRange => {
      const at = `${base}[${i}]`;
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw new FormatError(file, JSON_FORMAT, at, undefined, "expected an object {start, size|end, type}");
      }
      const o = item as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        if (!["start", "size", "end", "type"].includes(key)) throw new FormatError(file, JSON_FORMAT, `${at}.${key}`, undefined, "unknown field");
      }
      const start = jsonAddress(o.start, file, `${at}.start`);
      let size: bigint;
      if (o.size !== undefined && o.end !== undefined) throw new FormatError(file, JSON_FORMAT, at, undefined, "give size or end, not both");
      if (o.end !== undefined) {
        const end = jsonAddress(o.end, file, `${at}.end`);
        if (end <= start) throw new FormatError(file, JSON_FORMAT, `${at}.end`, undefined, `${hex(end)} is not above start ${hex(start)}`);
        size = end - start;
      } else {
        size = jsonAddress(o.size, file, `${at}.size`);
        if (size === 0n) throw new FormatError(file, JSON_FORMAT, `${at}.size`, undefined, "empty range");
        if (start + size > U64_LIMIT) throw new FormatError(file, JSON_FORMAT, `${at}.size`, undefined, `${hex(start)} + ${hex(size)} wraps past 2^64`);
      }
      const type = o.type === undefined ? "ram" : o.type;
      if (typeof type !== "string" || !(MEMORY_TYPES as readonly string[]).includes(type)) {
        throw new FormatError(file, JSON_FORMAT, `${at}.type`, undefined, `expected one of ${MEMORY_TYPES.join(", ")}`);
      }
      return { start, size, type: type as MemoryType };
    });
    try {
      return MemoryMap.of(ranges);
    } catch (cause) {
      const reason = cause instanceof ValidationError ? cause.message : String(cause);
      throw new FormatError(file, JSON_FORMAT, base, undefined, reason, { cause });
    }
  }

  /**
   * The map described by an FDT: `memory` is the decoded `reg` of every
   * `/memory` node (RAM); `reserved` the `/memreserve/` entries and
   * `/reserved-memory` children, carved out as reserved. Decoding the blob is
   * the FDT reader's job; this only checks and combines the ranges.
   */
  static fromFdtMemory(memory: readonly FdtRegRange[], reserved: readonly FdtRegRange[] = []): MemoryMap {
    const ram = memory.filter((r) => r.size > 0n).map((r) => ({ ...r, type: "ram" as const }));
    if (ram.length === 0) throw new ValidationError("FDT /memory", "no non-empty reg range");
    let map = MemoryMap.of(ram);
    reserved.forEach((r, i) => {
      if (r.size === 0n) return;
      const end = checkedAdd64(r.start, r.size, `FDT reserved range ${i}`);
      map = map.carve(r.start, end, "reserved");
    });
    return map;
  }

  /** End of the highest range. */
  end(): bigint {
    const last = this.ranges[this.ranges.length - 1];
    return last === undefined ? 0n : last.start + last.size;
  }

  /** True when [start, end) lies wholly inside ranges of `type` (adjacent ranges join). */
  covers(start: bigint, end: bigint, type: MemoryType = "ram"): boolean {
    let cursor = start;
    for (const r of this.ranges) {
      if (r.type !== type) continue;
      const rEnd = r.start + r.size;
      if (r.start <= cursor && cursor < rEnd) cursor = rEnd;
      if (cursor >= end) return true;
    }
    return cursor >= end;
  }

  /** The ranges of type `ram`, in address order. */
  ram(): MemoryRange[] {
    return this.ranges.filter((r) => r.type === "ram");
  }

  /** Total size of the `ram` ranges, in bytes. */
  totalRam(): bigint {
    return this.ram().reduce((sum, r) => sum + r.size, 0n);
  }

  /**
   * A new map where `[start, end)` has `type`: existing ranges there are cut
   * away (split when needed) and one range of `type` put in their place.
   */
  carve(start: bigint, end: bigint, type: MemoryType): MemoryMap {
    if (end <= start) throw new ValidationError("memory map carve", `empty range ${hex(start)}..${hex(end)}`);
    const out: MemoryRange[] = [];
    for (const r of this.ranges) {
      for (const piece of subtractRange({ start: r.start, end: r.start + r.size }, { start, end })) {
        out.push({ start: piece.start, size: piece.end - piece.start, type: r.type });
      }
    }
    out.push({ start, size: end - start, type });
    return MemoryMap.of(out);
  }

  /** A new map with `[start, end)` removed from every range (no range left there). */
  subtract(start: bigint, end: bigint): MemoryMap {
    if (end <= start) return this;
    const out: MemoryRange[] = [];
    for (const r of this.ranges) {
      for (const piece of subtractRange({ start: r.start, end: r.start + r.size }, { start, end })) {
        out.push({ start: piece.start, size: piece.end - piece.start, type: r.type });
      }
    }
    return MemoryMap.of(out);
  }

  /**
   * RAM not covered by `used`, as sorted half-open ranges (adjacent RAM ranges
   * merged): what placement may hand out.
   */
  freeRam(used: readonly AddressRange[] = []): AddressRange[] {
    let free: AddressRange[] = mergeRanges(this.ram().map((r) => ({ start: r.start, end: r.start + r.size })));
    for (const u of used) free = free.flatMap((f) => subtractRange(f, u));
    return free;
  }
}

/** `a` minus `b`: zero, one or two half-open pieces. */
export function subtractRange(a: AddressRange, b: AddressRange): AddressRange[] {
  if (b.end <= a.start || b.start >= a.end || b.end <= b.start) return [a];
  const out: AddressRange[] = [];
  if (b.start > a.start) out.push({ start: a.start, end: b.start });
  if (b.end < a.end) out.push({ start: b.end, end: a.end });
  return out;
}

/** Sort and join overlapping or touching half-open ranges. */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end) {
      if (r.end > last.end) out[out.length - 1] = { start: last.start, end: r.end };
    } else out.push(r);
  }
  return out;
}

function jsonAddress(value: unknown, file: string, path: string): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new FormatError(file, JSON_FORMAT, path, undefined, "numbers must be non-negative safe integers; write large values as \"0x...\" strings");
    return BigInt(value);
  }
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) {
    const v = BigInt(value);
    if (v >= U64_LIMIT) throw new FormatError(file, JSON_FORMAT, path, undefined, `${value} does not fit 64 bits`);
    return v;
  }
  throw new FormatError(file, JSON_FORMAT, path, undefined, value === undefined ? "missing" : "expected a hex (0x...) or decimal string or a safe integer");
}
