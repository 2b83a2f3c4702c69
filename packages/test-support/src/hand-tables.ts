/**
 * Page tables written by hand for walker tests: little-endian entries set one
 * at a time, so a test states each descriptor's bits and reads what its walker
 * makes of them. Shared by every architecture's paging tests.
 */
import { expect } from "vitest";
import type { PhysicalMemory, WalkAttributes, WalkResult } from "@handoff/core/paging";

/**
 * Table memory of `entryBytes`-wide entries. A read inside a `regionBytes`-sized
 * region that holds at least one written entry gives the entry (zero where
 * none was written); a read anywhere else is unmapped memory, as is a read of
 * any other width than one entry.
 */
export class HandTables implements PhysicalMemory {
  private readonly entries = new Map<bigint, bigint>();
  constructor(
    private readonly entryBytes: 4 | 8 = 8,
    private readonly regionBytes = 0x1000n,
  ) {}

  /** Entry `index` of the table at `table` (and the `repeat - 1` after it, for contiguous hints) holds `entry`. */
  set(table: bigint, index: number, entry: bigint, repeat = 1): this {
    for (let i = 0; i < repeat; i++) this.entries.set(table + BigInt((index + i) * this.entryBytes), entry);
    return this;
  }

  read(pa: bigint, length: number): Uint8Array | undefined {
    const region = pa - (pa % this.regionBytes);
    if (length !== this.entryBytes || ![...this.entries.keys()].some((k) => k - (k % this.regionBytes) === region)) return undefined;
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    const entry = this.entries.get(pa) ?? 0n;
    if (length === 4) view.setUint32(0, Number(entry), true);
    else view.setBigUint64(0, entry, true);
    return out;
  }
}

/** What a walk must find: a translation with these fields and, when `attributes` is given, exactly those attributes. */
export function expectTranslation(result: WalkResult, fields: { readonly pa: bigint; readonly pageSize?: bigint; readonly level?: number }, attributes?: WalkAttributes): void {
  expect(result).toMatchObject({ kind: "translation", ...fields });
  if (attributes !== undefined) expect(result.kind === "translation" && result.attributes).toEqual(attributes);
}
