import { FormatError, rebaseImage } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { RISCV64_BASE_ALIGNMENT, RISCV_IMAGE_FORMAT_ID, riscv64Architecture, RISCV64_REGISTERS, parseRiscvImage, riscvImageFormat } from "../src/index.js";
import { thrownBy } from "@handoff/test-support";

/**
 * A header-bearing image built field by field from boot-image-header.rst (no
 * riscv64 kernel in the fixtures): code0 = "j 0x40" over the header.
 */
function tinyImage(opts: { fileSize?: number; textOffset?: bigint; imageSize?: bigint; flags?: bigint; magic2?: number; magic?: bigint } = {}): Uint8Array {
  const size = opts.fileSize ?? 256;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  if (size >= 64) {
    v.setUint32(0, 0x0400006f, true); // jal x0, +0x40: jump over the header
    v.setBigUint64(8, opts.textOffset ?? 0x20_0000n, true);
    v.setBigUint64(16, opts.imageSize ?? 0x1000n, true);
    v.setBigUint64(24, opts.flags ?? 0n, true);
    v.setUint32(32, (0 << 16) | 2, true); // header version 0.2
    v.setBigUint64(48, opts.magic ?? 0x5643534952n, true); // "RISCV\0\0\0"
    v.setUint32(56, opts.magic2 ?? 0x05435352, true); // "RSC\x05"
  }
  return b;
}

const input = (bytes: Uint8Array) => ({ path: "tiny-Image", bytes });

const formatError = (fn: () => unknown): FormatError => thrownBy(FormatError, fn);

describe("RISC-V Image header", () => {
  it("parses a header-bearing image into a relocatable kernel segment", () => {
    const img = parseRiscvImage(input(tinyImage()));
    expect(img.format).toBe(RISCV_IMAGE_FORMAT_ID);
    expect(img.entry.phys).toBe(0x20_0000n);
    expect(img.segments).toHaveLength(1);
    expect(img.segments[0]).toMatchObject({ bufsz: 256n, mem: 0x20_0000n, memsz: 0x1000n, role: "kernel" });
    expect(img.placement).toEqual({ kind: "relocatable", base: 0n, alignment: RISCV64_BASE_ALIGNMENT });
    expect(img.metadata).toMatchObject({ version: "0.2", magic2: true, legacyMagic: true, code0: 0x0400006f, efiStub: false });
    // QEMU virt's RAM starts at 0x8000_0000: OpenSBI's next stage runs at 0x8020_0000.
    const placed = rebaseImage(img, 0x8000_0000n);
    expect(placed.entry.phys).toBe(0x8020_0000n);
    expect(() => rebaseImage(img, 0x8010_0000n)).toThrow(/aligned/);
  });

  it("is the architecture's image format, and probes by either magic", () => {
    const arch = riscv64Architecture;
    expect(arch.imageFormats).toEqual([riscvImageFormat]);
    expect(riscvImageFormat.probe(input(tinyImage()))).toBe(true);
    expect(riscvImageFormat.probe(input(tinyImage({ magic: 0n })))).toBe(true);
    expect(riscvImageFormat.probe(input(tinyImage({ magic2: 0 })))).toBe(true);
    expect(riscvImageFormat.probe(input(tinyImage({ magic: 0n, magic2: 0 })))).toBe(false);
    expect(riscvImageFormat.probe(input(new Uint8Array(10)))).toBe(false);
  });

  it("refuses hostile headers with the field and offset", () => {
    const cases: [Uint8Array, string, number][] = [
      [tinyImage({ fileSize: 40 }), "header", 0],
      [tinyImage({ magic: 0n, magic2: 0x12345678 }), "magic2", 56],
      [tinyImage({ imageSize: 0x80n }), "image_size", 16],
      [tinyImage({ textOffset: 0x1000n }), "text_offset", 8],
      [tinyImage({ textOffset: 0xffff_ffff_ffe0_0000n }), "text_offset", 8],
      [tinyImage({ imageSize: 0xffff_ffff_ffff_f000n }), "text_offset", 8],
      [tinyImage({ flags: 1n }), "flags", 24],
    ];
    for (const [bytes, field, offset] of cases) {
      const e = formatError(() => parseRiscvImage(input(bytes)));
      expect([e.field, e.offset, e.file]).toEqual([field, offset, "tiny-Image"]);
    }
    const big = formatError(() => parseRiscvImage(input(tinyImage({ imageSize: 1n << 36n })), { maxSegmentMemory: 1n << 30n }));
    expect(big.field).toBe("image_size");
  });

  it("checks an EFI stub's PE header offset", () => {
    const b = tinyImage();
    b[0] = 0x4d;
    b[1] = 0x5a;
    new DataView(b.buffer).setUint32(60, 0x1000, true);
    expect(formatError(() => parseRiscvImage(input(b)))).toMatchObject({ field: "res3", offset: 60 });
    new DataView(b.buffer).setUint32(60, 0x80, true);
    expect(formatError(() => parseRiscvImage(input(b)))).toMatchObject({ field: "pe_header", offset: 0x80 });
    b.set([0x50, 0x45, 0, 0], 0x80);
    expect(parseRiscvImage(input(b)).metadata).toMatchObject({ efiStub: true, peHeaderOffset: 0x80 });
  });
});
