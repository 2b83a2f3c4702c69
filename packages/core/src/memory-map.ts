import { checkedAdd64, hex } from "./bits.js";
import { ValidationError } from "./errors.js";

/** e820-style memory types (ACPI 6.5 §15, "E820 address range types"). */
export type MemoryType = "ram" | "reserved" | "acpi" | "nvs" | "unusable" | "persistent" | "device";

export interface MemoryRange {
  readonly start: bigint;
  readonly size: bigint;
  readonly type: MemoryType;
}

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

  ram(): MemoryRange[] {
    return this.ranges.filter((r) => r.type === "ram");
  }

  totalRam(): bigint {
    return this.ram().reduce((sum, r) => sum + r.size, 0n);
  }
}
