import { describe, expect, it } from "vitest";
import { decodeListEntry, layoutInPlaceList } from "@handoff/core/kexec";
import { ValidationError, type Segment } from "@handoff/core";

const seg = (mem: bigint, bufsz: number, memsz: bigint, name: string): Segment => ({ data: { kind: "bytes", bytes: new Uint8Array(bufsz) }, bufsz: BigInt(bufsz), mem, memsz, role: "other", name });

/** Walk the list the way the stubs do: returns pages copied (source -> dest) and zeroed. */
function walk(bytes: Uint8Array, base: bigint, head: bigint, word: 4 | 8) {
  const view = new DataView(bytes.buffer);
  const read = (addr: bigint) => {
    const off = Number(addr - base);
    return word === 8 ? view.getBigUint64(off, true) : BigInt(view.getUint32(off, true));
  };
  const copies: [bigint, bigint][] = [];
  const zeroes: bigint[] = [];
  let dest = 0n;
  let at = head & ~0xfffn;
  for (let steps = 0; steps < 100_000; steps++) {
    const e = read(at);
    at += BigInt(word);
    const { kind, address: page } = decodeListEntry(e, 0x1000n);
    if (kind === "DONE") return { copies, zeroes };
    if (kind === "INDIRECTION") at = page;
    else if (kind === "DESTINATION") dest = page;
    else if (kind === "SOURCE") (copies.push([page, dest]), (dest += 0x1000n));
    else if (kind === "ZERO") (zeroes.push(dest), (dest += 0x1000n));
    else throw new Error(`entry ${e.toString(16)} is no entry`);
  }
  throw new Error("list does not end");
}

describe("layoutInPlaceList", () => {
  it("makes every source page its own destination, zero-fills past bufsz and chains list pages", () => {
    const segments = [seg(0x40_0000n, 3 * 4096 + 1, 6n * 4096n, "k"), seg(0x10_0000n, 10, 4096n, "b")];
    for (const word of [4, 8] as const) {
      const list = layoutInPlaceList(segments, { word, listBase: 0x80_0000n });
      const { copies, zeroes } = walk(list.bytes, 0x80_0000n, list.head, word);
      expect(copies.every(([s, d]) => s === d)).toBe(true);
      expect(copies.map(([s]) => s)).toEqual([0x10_0000n, 0x40_0000n, 0x40_1000n, 0x40_2000n, 0x40_3000n]);
      expect(zeroes).toEqual([0x40_4000n, 0x40_5000n]);
    }
    // 3000 pages: several list pages, walked to the end through INDIRECTION.
    const big = layoutInPlaceList([seg(0x100_0000n, 3000 * 4096, 3000n * 4096n, "big")], { word: 8, listBase: 0x80_0000n });
    expect(big.bytes.length).toBeGreaterThan(4096 * 5);
    expect(walk(big.bytes, 0x80_0000n, big.head, 8).copies).toHaveLength(3000);
  });

  it("refuses unaligned, overlapping, 32-bit-unreachable segments and list pages over a segment", () => {
    expect(() => layoutInPlaceList([seg(0x1001n, 1, 4096n, "x")], { word: 8, listBase: 0x8000n })).toThrow(ValidationError);
    expect(() => layoutInPlaceList([seg(0x1000n, 1, 0x2000n, "a"), seg(0x2000n, 1, 0x1000n, "b")], { word: 8, listBase: 0x8000n })).toThrow(/overlaps/);
    expect(() => layoutInPlaceList([seg(0xffff_f000n, 1, 0x2000n, "hi")], { word: 4, listBase: 0x8000n })).toThrow(/32-bit/);
    expect(() => layoutInPlaceList([seg(0x8000n, 1, 0x1000n, "a")], { word: 8, listBase: 0x8000n })).toThrow(/list pages/);
    expect(() => layoutInPlaceList([seg(0x1000n, 9000, 0x1000n, "a")], { word: 8, listBase: 0x8000n })).toThrow(/bufsz/);
  });
});
