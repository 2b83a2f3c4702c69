import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { I386_RELOCATOR } from "@handoff/x86_32";
import { itLinksLikeGnuLd } from "@handoff/test-support/ld-compare";

const source = fileURLToPath(new URL("./fixtures/relocs.S", import.meta.url));

describe("x86_32 relocations", () => {
  itLinksLikeGnuLd("link every type to the same bytes as GNU ld", { triple: "i686-linux-gnu", source, base: 0x100000n, relocator: I386_RELOCATOR }, (r) => expect(r.linked.relocationsApplied).toBeGreaterThan(7));
});

describe("i386 relocation checks", () => {
  it("reads REL addends from the field and refuses values beyond 32 bits", () => {
    const field = Uint8Array.of(0xfc, 0xff, 0xff, 0xff); // -4
    expect(I386_RELOCATOR.implicitAddend(2, field, true)).toBe(-4n);
    I386_RELOCATOR.apply({ type: 2, place: 0x1000n, symbol: 0x2000n, symbolIsFunction: true, addend: -4n, field, littleEndian: true });
    expect(new DataView(field.buffer).getInt32(0, true)).toBe(0x2000 - 4 - 0x1000);
    expect(() => I386_RELOCATOR.apply({ type: 1, place: 0n, symbol: 1n << 32n, symbolIsFunction: false, addend: 0n, field, littleEndian: true })).toThrow(/overflows/);
    expect(I386_RELOCATOR.fieldSize(10)).toBeUndefined();
  });
});
