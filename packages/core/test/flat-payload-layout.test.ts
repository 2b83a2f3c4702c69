import { IND_DESTINATION, IND_DONE, IND_INDIRECTION, IND_SOURCE, IND_ZERO, layoutFlatPayload } from "@handoff/core/kexec";
import { StubImage } from "@handoff/core/link";
import { describe, expect, it } from "vitest";

describe("layoutFlatPayload", () => {
  const payload = Uint8Array.from({ length: 3 * 4096 + 10 }, (_, i) => i & 0xff);

  it("one DESTINATION, a SOURCE per page (in place where asked), ZERO per BSS page, DONE; list chained by INDIRECTION", () => {
    const l = layoutFlatPayload({ word: 8, payload, dest: 0x400000n, staging: 0x800000n, listBase: 0x110000n, inPlace: new Set([1]), zeroPages: 2, entriesPerPage: 3 });
    expect(l.entries).toEqual([
      0x400000n | IND_DESTINATION,
      0x800000n | IND_SOURCE,
      0x401000n | IND_SOURCE, // in place: its own destination
      0x801000n | IND_SOURCE,
      0x802000n | IND_SOURCE,
      IND_ZERO,
      IND_ZERO,
      IND_DONE,
    ]);
    expect(l.head).toBe(0x110000n | IND_INDIRECTION);
    const list = l.placed.find((p) => p.role === "indirection-list")!;
    expect(list.bytes.length).toBe(3 * 4096);
    const v = new DataView(list.bytes.buffer);
    expect(v.getBigUint64(3 * 8, true)).toBe(0x111000n | IND_INDIRECTION);
    expect(v.getBigUint64(4096, true)).toBe(0x801000n | IND_SOURCE);
    expect(l.segment).toMatchObject({ mem: 0x400000n, memsz: 6n * 4096n, bufsz: BigInt(payload.length) });
    const inPlace = l.placed.find((p) => p.role === "staging (in place)")!;
    expect(inPlace.addr).toBe(0x401000n);
    expect(inPlace.bytes[0]).toBe(payload[4096]);
    // The last partial page is zero-padded in staging.
    const staging = l.placed.find((p) => p.role === "staging")!;
    expect(staging.bytes.length).toBe(3 * 4096);
    expect(staging.bytes[2 * 4096 + 10]).toBe(0);
  });

  it("32-bit entries are 4 bytes", () => {
    const l = layoutFlatPayload({ word: 4, payload: new Uint8Array(10), dest: 0x400000n, staging: 0x800000n, listBase: 0x110000n });
    const v = new DataView(l.placed.at(-1)!.bytes.buffer);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)]).toEqual([0x400001, 0x800008, 4]);
  });

  it("refuses staging or list pages inside the destination, and unaligned addresses", () => {
    expect(() => layoutFlatPayload({ word: 8, payload, dest: 0x400000n, staging: 0x402000n, listBase: 0x110000n })).toThrow(/staging overlaps/);
    expect(() => layoutFlatPayload({ word: 8, payload, dest: 0x400000n, staging: 0x800000n, listBase: 0x401000n })).toThrow(/list pages 0x401000\.\.0x402000 overlap the destination/);
    expect(() => layoutFlatPayload({ word: 8, payload, dest: 0x400800n, staging: 0x800000n, listBase: 0x110000n })).toThrow(/page-aligned/);
  });
});

describe("StubImage", () => {
  const code = { hex: "00112233445566778899aabbccddeeff", symbols: { a: 4, end: 12 } };
  it("writes little-endian fields at symbols and refuses overflow", () => {
    const s = new StubImage("test stub", code).write("a", 0x01020304n, 4);
    expect([...s.bytes.subarray(4, 8)]).toEqual([4, 3, 2, 1]);
    expect(() => s.write("a", 0x1_0000_0000n, 4)).toThrow(/does not fit/);
    expect(() => s.write("a", 0n, 8, 2)).toThrow(/outside/);
    expect(() => s.write("nope", 0n, 4)).toThrow(/no symbol/);
    expect(() => s.writeBytes("a", new Uint8Array(9), "end")).toThrow(/do not fit/);
  });
  it("refuses malformed hex", () => {
    expect(() => new StubImage("bad", { hex: "abc", symbols: {} })).toThrow(/malformed/);
  });
});
