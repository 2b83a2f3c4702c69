import { describe, expect, it } from "vitest";
import { FormatError } from "@handoff/core";
import { arm64ImageFormat } from "@handoff/arm64";
import { bzImageFormat } from "@handoff/x86";
import { KERNELS, fixtureKernel, thrownBy } from "@handoff/test-support";
import { bytesOf } from "@handoff/test-support/compressed-images";

/**
 * Issue 15: truncated or inconsistent images are refused, not loaded — each
 * made from a real fixture with one thing wrong, each a FormatError naming the
 * field and its offset.
 */

const refusal = (parse: () => unknown): FormatError => thrownBy(FormatError, parse);

describe("arm64 Image", () => {
  it("cut short: the EFI stub's PE section table says how long the file must be", () => {
    const path = fixtureKernel(KERNELS.arm64);
    if (!path) return;
    const whole = bytesOf(path);
    expect(arm64ImageFormat.parse({ path, bytes: whole }).segments).toHaveLength(1);
    for (const cut of [1, 4096, 1 << 20]) {
      const e = refusal(() => arm64ImageFormat.parse({ path, bytes: whole.subarray(0, whole.length - cut) }));
      expect(e.field).toBe("PE section table");
      expect(Number(e.offset)).toBe(new DataView(whole.buffer, whole.byteOffset).getUint32(60, true));
      expect(e.reason).toMatch(/cut short/);
    }
  });

  it("image_size smaller than the file", () => {
    const path = fixtureKernel(KERNELS.arm64);
    if (!path) return;
    const whole = bytesOf(path);
    const imageSize = new DataView(whole.buffer, whole.byteOffset).getBigUint64(16, true);
    const longer = new Uint8Array(Number(imageSize) + 4096);
    longer.set(whole);
    const e = refusal(() => arm64ImageFormat.parse({ path, bytes: longer }));
    expect([e.field, Number(e.offset)]).toEqual(["image_size", 16]);
  });
});

describe("bzImage", () => {
  for (const name of [KERNELS.x86_64, KERNELS.x86_32]) {
    it(`${name}: init_size 0 and kernel_alignment not a power of two`, () => {
      const path = fixtureKernel(name);
      if (!path) return;
      const bytes = bytesOf(path).slice();
      expect(bzImageFormat.parse({ path, bytes }).segments.length).toBeGreaterThan(0);
      const view = new DataView(bytes.buffer);
      const initSize = view.getUint32(0x260, true);
      view.setUint32(0x260, 0, true);
      const a = refusal(() => bzImageFormat.parse({ path, bytes }));
      expect([a.field, Number(a.offset)]).toEqual(["init_size", 0x260]);
      view.setUint32(0x260, initSize, true);
      const alignment = view.getUint32(0x230, true);
      for (const bad of [alignment + 1, 0x300000, 0]) {
        view.setUint32(0x230, bad, true);
        const b = refusal(() => bzImageFormat.parse({ path, bytes }));
        expect([b.field, Number(b.offset)], `kernel_alignment 0x${bad.toString(16)}`).toEqual(["kernel_alignment", 0x230]);
      }
    });
  }
});
