import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ARM_RELOCATOR } from "@handoff/arm32";
import { itLinksLikeGnuLd } from "@handoff/test-support/ld-compare";

const source = fileURLToPath(new URL("./fixtures/relocs.S", import.meta.url));

describe("arm32 relocations", () => {
  itLinksLikeGnuLd("link every type to the same bytes as GNU ld", { triple: "arm-linux-gnueabihf", source, base: 0x80008000n, relocator: ARM_RELOCATOR }, (r) => expect(r.linked.relocationsApplied).toBeGreaterThan(10));
});

describe("arm relocation range checks", () => {
  const apply = (type: number, place: bigint, symbol: bigint, insn: number, symbolIsFunction = true) => {
    const field = new Uint8Array(4);
    new DataView(field.buffer).setUint32(0, insn, true);
    ARM_RELOCATOR.apply({ type, place, symbol, symbolIsFunction, addend: ARM_RELOCATOR.implicitAddend(type, field, true), field, littleEndian: true });
    return new DataView(field.buffer).getUint32(0, true);
  };
  const BL = 0xebff_fffe; // bl . (addend -8)

  it("CALL/JUMP24: ±32 MiB, word aligned, B to Thumb refused", () => {
    expect(apply(28, 0x8000n, 0x8000n + 8n + 0x1ff_fffcn, BL)).toBe(0xeb7f_ffff);
    expect(() => apply(28, 0x8000n, 0x8000n + 8n + 0x200_0000n, BL)).toThrow(/overflows/);
    expect(() => apply(29, 0x8000n, 0x9001n, 0xeaff_fffe)).toThrow(/needs an interworking veneer/);
    expect(() => apply(28, 0x8000n, 0x9002n, BL, false)).toThrow(/not 4-byte aligned/);
  });

  it("THM_CALL: ±16 MiB; PREL31 keeps bit 31 and checks 31 bits", () => {
    const thumbBl = 0xfffe_f7ff; // bl . in Thumb (hw1 0xf7ff, hw2 0xfffe), addend -4
    expect(() => apply(10, 0x8000n, 0x8000n + 4n + (1n << 24n) + 1n, thumbBl)).toThrow(/branch offset 0x1000000 overflows/);
    expect(apply(42, 0x1000n, 0x1010n, 0x8000_0000)).toBe(0x8000_0010);
    expect(() => apply(42, 0n, 1n << 30n, 0)).toThrow(/overflows/);
  });

  it("implements the Thumb MOVW/MOVT encodings round trip", () => {
    const movw = 0x0000_f240; // movw r0, #0 (T3): hw1 0xf240, hw2 0x0000
    const v = apply(47, 0n, 0x1234_abcdn, movw, false);
    expect(ARM_RELOCATOR.implicitAddend(47, new Uint8Array(new Uint32Array([v]).buffer), true)).toBe(BigInt.asIntN(16, 0xabcdn));
  });
});

describe("arm big-endian (BE32) objects", () => {
  itLinksLikeGnuLd("link every type to the same bytes as GNU ld", { triple: "arm-linux-gnueabihf", source, base: 0x80008000n, relocator: ARM_RELOCATOR, asArgs: ["-EB"], ldArgs: ["-EB"] }, (r) => expect(r.elf.header.endianness).toBe("big"));
});
