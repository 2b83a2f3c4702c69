import { FormatError } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { arm64Architecture, ARM64_REGISTERS, arm64ImageFormat } from "../src/index.js";
import { expectOnlyFormatErrorsOnMutation, readFixture, fixtureKernel, thrownBy } from "@handoff/test-support";

const ARM64 = fixtureKernel("arm64-Image-6.1.0-50-cloud-arm64");

describe.skipIf(!ARM64)("arm64 Image: real Debian 6.1 cloud kernel", () => {
  const bytes = readFixture(ARM64!);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const input = { path: ARM64!, bytes };

  it("parses text_offset, image_size and flags at the booting.rst offsets", () => {
    expect(arm64ImageFormat.probe(input)).toBe(true);
    const image = arm64ImageFormat.parse(input);
    expect(image.arch).toBe("arm64");
    expect(image.format).toBe("arm64-Image");
    const m = image.metadata;
    // Independent reads: text_offset @8, image_size @16, flags @24, magic @56, res5 @60.
    expect(m.text_offset).toBe(v.getBigUint64(8, true));
    expect(m.image_size).toBe(v.getBigUint64(16, true));
    expect(m.flags).toBe(v.getBigUint64(24, true));
    expect(m.magic).toBe(v.getUint32(56, true));
    expect(m.res5).toBe(v.getUint32(60, true));
    expect(Buffer.from(bytes.subarray(56, 60)).toString("latin1")).toBe("ARM\x64");
    // What the 6.1 kernel declares: text_offset 0, LE, 4K pages, place anywhere.
    expect(m.text_offset).toBe(0n);
    expect(m.endianness).toBe("little");
    expect(m.pageSize).toBe("4K");
    expect(m.placeAnywhere).toBe(true);
    expect(m.legacy).toBe(false);
    expect(m.efiStub).toBe(true);
    expect(m.peHeaderOffset).toBe(0x40);
  });

  it("has one kernel segment referencing the file, memsz = image_size (with BSS)", () => {
    const image = arm64ImageFormat.parse(input);
    expect(image.segments).toHaveLength(1);
    const s = image.segments[0]!;
    const imageSize = v.getBigUint64(16, true);
    expect(imageSize).toBeGreaterThan(BigInt(bytes.length));
    expect(s.role).toBe("kernel");
    expect(s.memsz).toBe(imageSize);
    expect(s.bufsz).toBe(BigInt(bytes.length));
    expect(s.data).toEqual({ kind: "file", path: ARM64, offset: 0, length: bytes.length });
    expect(s.mem).toBe(0n);
    expect(image.entry.phys).toBe(0n);
  });
});

function header(o: { textOffset?: bigint; imageSize?: bigint; flags?: bigint; mz?: boolean; res5?: number; length?: number } = {}): Uint8Array {
  const b = new Uint8Array(o.length ?? 0x1000);
  const v = new DataView(b.buffer);
  if (o.mz) { b[0] = 0x4d; b[1] = 0x5a; }
  if (b.length >= 64) {
    v.setBigUint64(8, o.textOffset ?? 0n, true);
    v.setBigUint64(16, o.imageSize ?? 0x3000n, true);
    v.setBigUint64(24, o.flags ?? 0xan, true);
    v.setUint32(56, 0x644d5241, true);
    v.setUint32(60, o.res5 ?? 0, true);
  }
  if (o.mz && (o.res5 ?? 0) + 4 <= b.length) v.setUint32(o.res5 ?? 0, 0x4550, true);
  return b;
}

const err = (bytes: Uint8Array): FormatError => thrownBy(FormatError, () => arm64ImageFormat.parse({ path: "h.img", bytes }));

describe("arm64 Image: synthetic and hostile headers", () => {
  it("old kernel: image_size 0 -> text_offset 0x80000 assumed, size = file size, flags ignored", () => {
    const image = arm64ImageFormat.parse({ path: "old", bytes: header({ imageSize: 0n, textOffset: 0x1234n, flags: 0xffn }) });
    expect(image.metadata.legacy).toBe(true);
    expect(image.segments[0]!.mem).toBe(0x80000n);
    expect(image.segments[0]!.memsz).toBe(0x1000n);
    expect(image.metadata.pageSize).toBe("unspecified");
    expect(image.metadata.endianness).toBe("little");
  });

  it("decodes the flags bits", () => {
    const be64k = arm64ImageFormat.parse({ path: "f", bytes: header({ flags: 0b0111n }) }).metadata;
    expect([be64k.endianness, be64k.pageSize, be64k.placeAnywhere]).toEqual(["big", "64K", false]);
    const r = arm64ImageFormat.parse({ path: "f", bytes: header({ flags: 0b10100n }) }).metadata;
    expect([r.pageSize, r.reservedFlags]).toEqual(["16K", 0x10n]);
  });

  it("a file longer than image_size is refused (issue 15: the header lies or the file is not this kernel)", () => {
    const e = err(header({ imageSize: 0x800n }));
    expect([e.field, Number(e.offset)]).toEqual(["image_size", 16]);
    expect(e.reason).toMatch(/smaller than the 0x1000-byte file/);
  });

  it.each<[string, Uint8Array, string, number]>([
    ["truncated header", header().slice(0, 40), "header", 0],
    ["bad magic", (() => { const b = header(); b[56] = 0; return b; })(), "magic", 56],
    ["text_offset beyond the 2 MiB window", header({ textOffset: 0xffff_ffff_ffff_0000n }), "text_offset", 8],
    ["image_size above the limit", header({ imageSize: 1n << 62n }), "image_size", 16],
    ["EFI PE header offset past EOF", header({ mz: true, res5: 0x7fff_0000 }), "res5", 60],
    ["EFI PE header without its signature", (() => { const b = header({ mz: true, res5: 0x40 }); b[0x40] = 0; return b; })(), "pe_header", 0x40],
  ])("%s -> FormatError(%s)", (_l, bytes, field, offset) => {
    const e = err(bytes);
    expect(e.field).toBe(field);
    expect(Number(e.offset)).toBe(offset);
    expect(e.format).toBe("arm64-Image");
  });

  it("mutated headers give a FormatError or an image, never another exception", () => {
    expectOnlyFormatErrorsOnMutation(arm64ImageFormat, header);
  });

  it("probe never throws", () => {
    for (let n = 0; n < 80; n++) {
      const b = header().slice(0, n);
      expect(() => arm64ImageFormat.probe({ path: "p", bytes: b })).not.toThrow();
    }
  });

  it("is the image format the arm64 architecture registers", () => {
    const arch = arm64Architecture;
    expect(arch.imageFormats).toContain(arm64ImageFormat);
  });
});
