import { FormatError } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { arm32Architecture, ARM32_REGISTERS, zImageFormat } from "../src/index.js";
import { expectOnlyFormatErrorsOnMutation, readFixture, fixtureKernel, thrownBy } from "@handoff/test-support";

const ZIMAGE = fixtureKernel("arm32-zImage-6.1.0-50-armmp");

describe.skipIf(!ZIMAGE)("zImage: real Debian 6.1 armmp kernel", () => {
  const bytes = readFixture(ZIMAGE!);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const input = { path: ZIMAGE!, bytes };

  it("parses magic, start and end at 0x24/0x28/0x2c", () => {
    expect(zImageFormat.probe(input)).toBe(true);
    const image = zImageFormat.parse(input);
    expect(image.arch).toBe("arm32");
    expect(v.getUint32(0x24, true)).toBe(0x016f2818);
    expect(image.metadata.start).toBe(v.getUint32(0x28, true));
    expect(image.metadata.end).toBe(v.getUint32(0x2c, true));
    expect(image.metadata.start).toBe(0);
    expect(image.metadata.positionIndependent).toBe(true);
    expect(image.metadata.end).toBe(bytes.length); // Debian ships no appended DTB: the zImage is the whole file
    expect(image.metadata.endianness).toBe("little");
    expect(image.metadata.appendedDtb).toBeUndefined();
  });

  it("reads the KLSZ extension tag and the decompressed size it points to", () => {
    const image = zImageFormat.parse(input);
    const table = v.getUint32(0x38, true);
    expect(v.getUint32(0x34, true)).toBe(0x45454545);
    expect(v.getUint32(table + 4, true)).toBe(0x5a534c4b);
    const sizePtr = v.getUint32(table + 8, true);
    expect(image.metadata.decompressedSize).toBe(v.getUint32(sizePtr, true));
    expect(image.metadata.kernelBssSize).toBe(v.getUint32(table + 12, true));
    expect((image.metadata.extensionTags as { tag: string }[])[0]!.tag).toBe("KLSZ");
    expect(Number(image.metadata.decompressedSize)).toBeGreaterThan(bytes.length);
  });

  it("one kernel segment over [0, end - start) of the file", () => {
    const image = zImageFormat.parse(input);
    expect(image.segments).toHaveLength(1);
    expect(image.segments[0]!.data).toEqual({ kind: "file", path: ZIMAGE, offset: 0, length: v.getUint32(0x2c, true) - v.getUint32(0x28, true) });
    expect(image.entry.phys).toBe(0n);
  });
});

/** A minimal zImage laid out from head.S: magic/start/end, endian marker, extension table with KLSZ. */
function synth(o: { start?: number; end?: number; length?: number; table?: number; tagSize?: number; sizePtr?: number; dtb?: Uint8Array; noTerminator?: boolean } = {}): Uint8Array {
  const length = o.length ?? 0x400;
  const dtb = o.dtb ?? new Uint8Array(0);
  const b = new Uint8Array(length + dtb.length);
  const v = new DataView(b.buffer);
  v.setUint32(0x24, 0x016f2818, true);
  v.setUint32(0x28, o.start ?? 0, true);
  v.setUint32(0x2c, o.end ?? length, true);
  v.setUint32(0x30, 0x04030201, true);
  v.setUint32(0x34, 0x45454545, true);
  const table = o.table ?? 0x100;
  v.setUint32(0x38, table, true);
  if (table + 32 <= length) {
    v.setUint32(table, o.tagSize ?? 6, true);
    v.setUint32(table + 4, 0x5a534c4b, true);
    v.setUint32(table + 8, o.sizePtr ?? 0x3f0, true);
    v.setUint32(table + 12, 0x1000, true);
    v.setUint32(table + 16, 0x8000, true);
    v.setUint32(table + 20, 0x10000, true);
    if (o.noTerminator) b.fill(0xff, table + 24, length);
  }
  if (0x3f0 + 4 <= length) v.setUint32(0x3f0, 0x123456, true);
  b.set(dtb, length);
  return b;
}

function fdt(totalsize: number, actual = totalsize): Uint8Array {
  const b = new Uint8Array(actual);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xd00dfeed, false);
  v.setUint32(4, totalsize, false);
  return b;
}

const err = (bytes: Uint8Array): FormatError => thrownBy(FormatError, () => zImageFormat.parse({ path: "z", bytes }));

describe("zImage: synthetic and hostile input", () => {
  it("synthetic baseline parses with its KLSZ tag", () => {
    const image = zImageFormat.parse({ path: "z", bytes: synth() });
    expect(image.metadata.decompressedSize).toBe(0x123456);
    expect(image.metadata.kernelTextOffset).toBe(0x8000);
  });

  it("an appended DTB (big-endian FDT magic right after end) joins the segment", () => {
    const image = zImageFormat.parse({ path: "z", bytes: synth({ dtb: fdt(0x80) }) });
    expect(image.metadata.appendedDtb).toEqual({ offset: 0x400, size: 0x80 });
    expect(image.segments[0]!.bufsz).toBe(0x480n);
  });

  it("a big-endian (BE8) endian marker is reported", () => {
    const b = synth();
    new DataView(b.buffer).setUint32(0x30, 0x04030201, false);
    expect(zImageFormat.parse({ path: "z", bytes: b }).metadata.endianness).toBe("big");
  });

  it.each<[string, Uint8Array, string, number]>([
    ["truncated before end", synth().slice(0, 0x2e), "header", 0],
    ["bad magic", (() => { const b = synth(); b[0x24] = 0; return b; })(), "magic", 0x24],
    ["end < start", synth({ start: 0x8000, end: 0x4000 }), "end", 0x2c],
    ["end past EOF", synth({ end: 0x10000 }), "end", 0x2c],
    ["end - start too small for the header", synth({ start: 0x1000, end: 0x1010 }), "end", 0x2c],
    ["extension table outside the zImage", synth({ table: 0x7ffffff0 }), "extension_table", 0x38],
    ["extension entry larger than the zImage", synth({ tagSize: 0x100000 }), "extension_table[0].size", 0x100],
    ["extension table without terminator", synth({ noTerminator: true }), "extension_table[1].size", 0x118],
    ["KLSZ size pointer past the zImage", synth({ sizePtr: 0xfffffff0 }), "KLSZ.size_ptr", 0x108],
    ["appended DTB larger than the file", synth({ dtb: fdt(0x1000, 0x40) }), "appended_dtb.totalsize", 0x404],
  ])("%s -> FormatError(%s)", (_l, bytes, field, offset) => {
    const e = err(bytes);
    expect(e.field).toBe(field);
    expect(Number(e.offset)).toBe(offset);
    expect(e.format).toBe("zImage");
  });

  it("mutated headers give a FormatError or an image, never another exception", () => {
    expectOnlyFormatErrorsOnMutation(zImageFormat, () => synth({ dtb: fdt(0x40) }));
  });

  it("probe never throws", () => {
    for (let n = 0; n < 0x40; n++) expect(() => zImageFormat.probe({ path: "p", bytes: synth().slice(0, n) })).not.toThrow();
  });

  it("is the image format the arm32 architecture registers", () => {
    expect(arm32Architecture.imageFormats).toContain(zImageFormat);
  });
});
