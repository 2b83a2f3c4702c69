import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ValidationError, type Segment } from "@handoff/core";
import { StubImage } from "@handoff/core/link";
import { VERIFY_MAX_REGIONS, segmentCheck, segmentVerifyRegions, verifyEntryBytes, writeVerifyTable } from "@handoff/core/kexec";

const seg = (bytes: Uint8Array, mem: bigint, memsz: bigint, name: string): Segment => ({ data: { kind: "bytes", bytes }, bufsz: BigInt(bytes.length), mem, memsz, role: "kernel", name });

/** A stub-shaped code object: a count word and a table of `room` entries, as the stubs' data blocks lay them out. */
function fakeStub(word: 4 | 8, room: number): StubImage {
  const size = word + room * verifyEntryBytes(word);
  return new StubImage("test stub", { hex: "00".repeat(size), symbols: { hd_verify_count: 0, hd_verify_regions: word, hd_verify_regions_end: size } });
}

describe("the stubs' segment-check table", () => {
  it("digests each segment's memsz bytes: its buffer, then zeros (what digestSegments and kexec purgatory hash)", () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    const [r] = segmentVerifyRegions([seg(data, 0x40_0000n, 0x3000n, "k")]);
    const want = createHash("sha256").update(data).update(new Uint8Array(0x3000 - 5000)).digest("hex");
    expect(Buffer.from(r!.sha256).toString("hex")).toBe(want);
    expect([r!.start, r!.len, r!.name]).toEqual([0x40_0000n, 0x3000n, "k"]);
  });

  it("writes count, start, len and the digest in the stub's word size", () => {
    const regions = segmentVerifyRegions([seg(new Uint8Array([1, 2, 3]), 0x1000n, 0x1000n, "a"), seg(new Uint8Array([4]), 0x2000n, 0x1000n, "b")]);
    for (const word of [4, 8] as const) {
      const stub = writeVerifyTable(fakeStub(word, 4), regions, word);
      const v = new DataView(stub.bytes.buffer);
      const at = (o: number) => (word === 4 ? BigInt(v.getUint32(o, true)) : v.getBigUint64(o, true));
      expect(at(0)).toBe(2n);
      const second = word + verifyEntryBytes(word);
      expect([at(second), at(second + word)]).toEqual([0x2000n, 0x1000n]);
      expect(Buffer.from(stub.bytes.subarray(second + 2 * word, second + 2 * word + 32))).toEqual(Buffer.from(regions[1]!.sha256));
    }
  });

  it("refuses more regions than the table holds, addresses wider than a word, and file-backed segments", () => {
    const one = segmentVerifyRegions([seg(new Uint8Array([1]), 0x1000n, 0x1000n, "a")]);
    expect(() => writeVerifyTable(fakeStub(4, 0), one, 4)).toThrow(/do not fit its table of 0/);
    const high = [{ ...one[0]!, start: 0x1_0000_0000n }];
    expect(() => writeVerifyTable(fakeStub(4, 1), high, 4)).toThrow(ValidationError);
    expect(() => writeVerifyTable(fakeStub(8, 1), high, 8)).not.toThrow();
    const many = Array.from({ length: VERIFY_MAX_REGIONS + 1 }, (_, i) => seg(new Uint8Array([i]), BigInt(i + 1) * 0x1000n, 0x1000n, `s${i}`));
    expect(() => segmentVerifyRegions(many)).toThrow(/exceed the stub's table of 16/);
    const file: Segment = { data: { kind: "file", path: "/x", offset: 0, length: 1 }, bufsz: 1n, mem: 0x1000n, memsz: 0x1000n, role: "initrd" };
    expect(() => segmentVerifyRegions([file])).toThrow(/data is file/);
  });

  it("--no-verify is an empty table: the stub checks nothing", () => {
    expect(segmentCheck([seg(new Uint8Array([1]), 0x1000n, 0x1000n, "a")], { noVerify: true }).regions).toEqual([]);
    const stub = writeVerifyTable(fakeStub(8, 2), [], 8);
    expect(new DataView(stub.bytes.buffer).getBigUint64(0, true)).toBe(0n);
  });
});
