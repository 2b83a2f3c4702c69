import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AARCH64_RELOCATOR } from "@handoff/arm64";
import { itLinksLikeGnuLd } from "@handoff/test-support/ld-compare";

const source = fileURLToPath(new URL("./fixtures/relocs.S", import.meta.url));

describe("arm64 relocations", () => {
  itLinksLikeGnuLd("link every type to the same bytes as GNU ld", { triple: "aarch64-linux-gnu", source, base: 0x40080000n, relocator: AARCH64_RELOCATOR }, (r) => expect(r.linked.relocationsApplied).toBeGreaterThan(10));
});

describe("aarch64 relocation range and alignment checks", () => {
  const site = (type: number, place: bigint, symbol: bigint, insn = 0) => {
    const field = new Uint8Array(4);
    new DataView(field.buffer).setUint32(0, insn, true);
    return { type, place, symbol, symbolIsFunction: true, addend: 0n, field, littleEndian: true };
  };
  const apply = (type: number, place: bigint, symbol: bigint, insn = 0) => {
    const s = site(type, place, symbol, insn);
    AARCH64_RELOCATOR.apply(s);
    return new DataView(s.field.buffer).getUint32(0, true);
  };

  it("CALL26/JUMP26: ±128 MiB, 4-byte aligned", () => {
    expect(apply(283, 0x1000n, 0x1000n + (1n << 27n) - 4n, 0x9400_0000)).toBe(0x95ff_ffff);
    expect(() => apply(283, 0x1000n, 0x1000n + (1n << 27n))).toThrow(/branch offset S \+ A - P 0x8000000 overflows/);
    expect(apply(282, 0x800_0000n, 0n, 0x1400_0000)).toBe(0x1600_0000);
    expect(() => apply(282, 0x800_0004n, 0n)).toThrow(/overflows/);
    expect(() => apply(283, 0x1000n, 0x1002n)).toThrow(/is not 4-byte aligned/);
  });

  it("ADR_PREL_LO21: ±1 MiB; ADR_PREL_PG_HI21: ±4 GiB of pages", () => {
    expect(() => apply(274, 0n, 1n << 20n)).toThrow(/overflows/);
    expect(apply(274, 0x10n, 0x10n + 5n, 0x1000_0000) >>> 0).toBe(0x3000_0000 | (1 << 5));
    expect(() => apply(275, 0n, 1n << 32n)).toThrow(/Page\(S \+ A\) - Page\(P\) 0x100000000 overflows/);
    expect(apply(275, 0x4000_0000n, 0x4000_3fffn, 0x9000_0000)).toBe((0x9000_0000 | (3 << 29)) >>> 0);
  });

  it("LDSTn_ABS_LO12_NC: the low 12 bits scaled by the access size, which must divide them", () => {
    expect(apply(286, 0n, 0x4000_0ff8n, 0xf940_0000) >>> 0).toBe((0xf940_0000 | (0x1ff << 10)) >>> 0);
    expect(() => apply(286, 0n, 0x4000_0ff4n)).toThrow(/S \+ A for a 64-bit access 0x40000ff4 is not 8-byte aligned/);
    expect(() => apply(299, 0n, 0x4000_0ff8n)).toThrow(/128-bit access .* not 16-byte aligned/);
    expect(() => apply(284, 0n, 0x4000_0001n)).toThrow(/16-bit access .* not 2-byte aligned/);
    expect(apply(278, 0n, 0x4000_0fffn)).toBe(0xfff << 10);
  });

  it("ABS32/PREL32: fit 32 bits as signed or unsigned", () => {
    const data = (type: number, place: bigint, symbol: bigint) => {
      const field = new Uint8Array(4);
      AARCH64_RELOCATOR.apply({ type, place, symbol, symbolIsFunction: false, addend: 0n, field, littleEndian: false });
      return Array.from(field);
    };
    expect(data(258, 0n, 0xffff_ffffn)).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(() => data(258, 0n, 1n << 32n)).toThrow(/overflows/);
    expect(data(261, 0x1000n, 0x1004n)).toEqual([0, 0, 0, 4]); // big-endian data
    expect(() => data(261, 1n << 40n, 0n)).toThrow(/overflows/);
    expect(AARCH64_RELOCATOR.fieldSize(1234)).toBeUndefined();
  });
});

describe("aarch64 big-endian objects", () => {
  itLinksLikeGnuLd("keep instructions little-endian and data big-endian, like GNU ld", { triple: "aarch64-linux-gnu", source, base: 0x40080000n, relocator: AARCH64_RELOCATOR, asArgs: ["-EB"], ldArgs: ["-EB"] }, (r) => expect(r.elf.header.endianness).toBe("big"));
});
