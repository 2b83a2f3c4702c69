import { alignDown, alignUp, hex } from "../bits.js";
import { HandoffError, ValidationError } from "../errors.js";
import { mergeRanges, type AddressRange, type MemoryMap } from "../memory-map.js";

/** What a segment that may go anywhere needs. */
export interface PlacementRequest {
  /** Bytes to reserve (rounded up to the page size). */
  readonly size: bigint;
  /** Start alignment (power of two; at least the page size is used). */
  readonly align?: bigint;
  /** Lowest acceptable start. */
  readonly minAddress?: bigint;
  /**
   * Exclusive bound on the end: the range must end at or below this. For an
   * inclusive "last byte" limit such as bzImage `initrd_addr_max`, pass limit + 1.
   */
  readonly maxEnd?: bigint;
  /** `top-down` takes the highest hole that fits (Linux puts the initrd high), `bottom-up` the lowest. */
  readonly direction?: "top-down" | "bottom-up";
  /** For messages: `initrd`, `dtb`... */
  readonly label: string;
}

/** No free range satisfies a placement request. */
export class PlacementError extends HandoffError {
  readonly code = "E_PLACEMENT";
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`cannot place ${label}: ${reason}`);
  }
}

/**
 * Hands out holes in RAM. Page 0 and every non-RAM range are never used;
 * everything already placed (or reserved with `reserve`) is avoided.
 */
export class Placer {
  private used: AddressRange[] = [];

  constructor(
    readonly memoryMap: MemoryMap,
    readonly pageSize: bigint,
  ) {
    if (pageSize <= 0n || (pageSize & (pageSize - 1n)) !== 0n) throw new ValidationError("placer", `page size ${hex(pageSize)} is not a power of two`);
    // Page 0 is never handed out: a null physical pointer must never be valid data.
    this.used.push({ start: 0n, end: pageSize });
  }

  /** Mark `[start, end)` as taken (fixed segments, firmware tables, the loader itself). */
  reserve(start: bigint, end: bigint): void {
    if (end > start) this.used = mergeRanges([...this.used, { start, end }]);
  }

  /** Ranges still free (RAM minus page 0 minus everything reserved or placed). */
  free(): AddressRange[] {
    return this.memoryMap.freeRam(this.used);
  }

  /** Find a hole for `request`, reserve it and return its start. */
  place(request: PlacementRequest): bigint {
    const found = this.find(request);
    this.reserve(found, found + alignUp(request.size, this.pageSize));
    return found;
  }

  /** Like `place` without reserving. */
  find(request: PlacementRequest): bigint {
    if (request.size <= 0n) throw new PlacementError(request.label, "size must be positive");
    const align = request.align === undefined || request.align < this.pageSize ? this.pageSize : request.align;
    if ((align & (align - 1n)) !== 0n) throw new PlacementError(request.label, `alignment ${hex(align)} is not a power of two`);
    const size = alignUp(request.size, this.pageSize);
    const min = request.minAddress ?? 0n;
    const maxEnd = request.maxEnd;
    const holes = this.free();
    const topDown = (request.direction ?? "bottom-up") === "top-down";
    const ordered = topDown ? [...holes].reverse() : holes;
    for (const hole of ordered) {
      const lo = hole.start > min ? hole.start : min;
      const hi = maxEnd !== undefined && maxEnd < hole.end ? maxEnd : hole.end;
      if (hi <= lo || hi - lo < size) continue;
      if (topDown) {
        const start = alignDown(hi - size, align);
        if (start >= lo) return start;
      } else {
        const start = alignUp(lo, align);
        if (start + size <= hi) return start;
      }
    }
    const window = `${hex(min)}..${maxEnd === undefined ? "end of RAM" : hex(maxEnd)}`;
    throw new PlacementError(request.label, `no free ${hex(size)}-byte range aligned to ${hex(align)} in ${window}`);
  }
}

