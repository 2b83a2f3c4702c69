import { describe, expect, it } from "vitest";
import { FormatError } from "@handoff/core";
import { readCValue, writeCValue } from "@handoff/core/c-abi";
import { xenTypes } from "@handoff/xen";
import { abiOf } from "./arches.js";

/**
 * Found by the struct-reader fuzz (fuzz.test.ts) under other seeds: on arm64,
 * xen_memory_reservation_t is 32 bytes but its last member (domid) ends at 26.
 * The reader checked members only and accepted 26 bytes; the writer demands
 * sizeof and threw on the round trip. Both now need the whole object.
 */
describe("regression: a struct whose trailing padding is past the buffer", () => {
  const layout = xenTypes(abiOf("arm64")).layout("xen_memory_reservation_t");

  it("is refused by the reader, naming the struct, as by the writer", () => {
    expect(layout.size).toBe(32);
    const short = new Uint8Array(26);
    let e: unknown;
    try {
      readCValue(layout, short, 0);
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).field).toBe("xen_memory_reservation_t");
    expect(() => writeCValue(layout, {}, short, 0)).toThrow(FormatError);
  });

  it("a member cut short is still named", () => {
    let e: unknown;
    try {
      readCValue(layout, new Uint8Array(20), 0);
    } catch (caught) {
      e = caught;
    }
    expect((e as FormatError).field).toBe("mem_flags");
  });

  it("with the whole object present, a read re-encodes to the same bytes", () => {
    const bytes = new Uint8Array(32);
    bytes.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0x34, 0x12], 0);
    const value = readCValue(layout, bytes, 0);
    const copy = bytes.slice();
    copy.fill(0xee, 0, 26);
    writeCValue(layout, value, copy, 0);
    expect(Buffer.from(copy)).toEqual(Buffer.from(bytes));
  });
});
