import { describe, expect, it } from "vitest";
import { ElfFile, elfLayout } from "@handoff/core/elf";
import { FormatError } from "@handoff/core";
import { LinkError, RelocationError, checkSignedBits, linkObject, readField, writeField, type Relocator } from "@handoff/core/link";
import { relObject } from "@handoff/test-support/elf-fixtures";
import { put } from "@handoff/test-support/elf-writer";

/** A two-type relocator (x86-64 numbering) so core's loop is tested without an arch package. */
const TEST_RELOCATOR: Relocator = {
  elfMachine: 62,
  usesRela: true,
  types: new Map([[0, "R_NONE"], [1, "R_ABS64"], [2, "R_PC32"]]),
  fieldSize: (t) => ({ 0: 0, 1: 8, 2: 4 })[t],
  implicitAddend: (_t, f, le) => readField(f, le),
  apply({ type, place, symbol, addend, field, littleEndian }) {
    const v = type === 1 ? symbol + addend : symbol + addend - place;
    if (type === 2) checkSignedBits(v, 32, "S + A - P");
    writeField(field, v, littleEndian);
  },
};

const S = elfLayout.SHDR64;
const base = relObject(64, "little");
const relaAt = (i: number) => base.sectionOffsets[6]! + i * 24;
const shAt = (i: number, f: keyof typeof S) => base.shoff + i * 64 + S[f][0];
const symAt = (i: number, f: keyof typeof elfLayout.SYM64) => base.sectionOffsets[4]! + i * 24 + elfLayout.SYM64[f][0];

/** The fixture with its third relocation made valid (a 4-byte PC32 at 12), then `edit`. */
function object(edit: (b: Uint8Array) => void = () => {}) {
  const b = base.bytes.slice();
  put(b, relaAt(2) + 8, 8, (1n << 32n) | 2n, "little");
  edit(b);
  return ElfFile.parse({ path: "obj.o", bytes: b });
}
const link = (elf: ElfFile, opts: Partial<Parameters<typeof linkObject>[1]> = {}) =>
  linkObject(elf, { base: 0x1000n, relocator: TEST_RELOCATOR, set: new Map([["ext", 0x2000n]]), ...opts });

function expectRelocationError(fn: () => unknown, pattern: RegExp, offset?: bigint) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RelocationError);
  expect((error as Error).message).toMatch(pattern);
  if (offset !== undefined) expect((error as RelocationError).location.offset).toBe(offset);
}

describe("linkObject", () => {
  it("places .text, .data, .bss in order with their alignments and applies RELA entries", () => {
    const linked = link(object());
    expect(linked.sections.map((s) => [s.name, s.group, s.addr, s.size])).toEqual([
      [".text", "text", 0x1000n, 16n],
      [".data", "data", 0x1010n, 4n],
      [".bss", "bss", 0x1018n, 32n],
    ]);
    expect(linked.memsz).toBe(0x38n);
    expect(linked.bytes.length).toBe(0x14);
    const dv = new DataView(linked.bytes.buffer);
    expect(dv.getBigUint64(0, true)).toBe(0x1004n + 8n); // start + 8
    expect(dv.getInt32(8, true)).toBe(0x2000 - 4 - 0x1008); // ext - 4 - P
    expect(dv.getInt32(12, true)).toBe(0x1000 - 0x100c); // section symbol .text - P
    expect(Array.from(linked.bytes.subarray(0x10, 0x14))).toEqual([1, 2, 3, 4]);
    expect(linked.symbols.get("start")).toBe(0x1004n);
    expect(linked.relocationsApplied).toBe(3);
  });

  it("aligns the first group up from a misaligned base", () => {
    expect(link(object(), { base: 0x1001n }).sections[0]!.addr).toBe(0x1010n);
  });

  it("rejects an unknown type, naming the relocation and its offset", () => {
    expectRelocationError(() => link(object((b) => put(b, relaAt(1) + 8, 8, (3n << 32n) | 99n, "little"))), /\.rela\.text\[1\] type 99 at offset 0x8: unknown relocation type 99 for e_machine 62/, 8n);
  });

  it("rejects symbol indices out of range, including == the symbol count", () => {
    expectRelocationError(() => link(object((b) => put(b, relaAt(0) + 8, 8, (4n << 32n) | 1n, "little"))), /\[0\] R_ABS64 at offset 0x0: symbol index 4 is out of range \(4 symbols\)/, 0n);
    expectRelocationError(() => link(object((b) => put(b, relaAt(0) + 8, 8, (0xffff_ffffn << 32n) | 1n, "little"))), /symbol index 4294967295 is out of range/);
  });

  it("rejects section indices out of range, including == e_shnum", () => {
    const shnum = 8;
    let e: unknown;
    try {
      link(object((b) => put(b, shAt(6, "sh_info"), 4, shnum, "little")));
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).field).toBe("section 6 (.rela.text).sh_info");
    expect((e as FormatError).offset).toBe(shAt(6, "sh_info"));
    expectRelocationError(() => link(object((b) => put(b, symAt(2, "st_shndx"), 2, shnum, "little"))), /\[0\] R_ABS64 at offset 0x0: symbol 'start' refers to section index 8, out of range \(8 sections\)/, 0n);
    expectRelocationError(() => link(object((b) => put(b, symAt(2, "st_shndx"), 2, 6, "little"))), /symbol 'start' is in section '.rela.text', which is not loaded/);
    expect(() => link(object((b) => put(b, shAt(6, "sh_link"), 4, 5, "little")))).toThrow(/sh_link @0x[0-9a-f]+: section 5 is not a symbol table/);
  });

  it("rejects undefined and COMMON symbols", () => {
    expectRelocationError(() => link(object(), { set: new Map() }), /\[1\] R_PC32 at offset 0x8: undefined symbol 'ext' \(define it with --set ext=VALUE\)/, 8n);
    expectRelocationError(() => link(object((b) => put(b, symAt(3, "st_shndx"), 2, 0xfff2, "little"))), /COMMON symbol 'ext' has no storage/);
    // A weak undefined symbol resolves to 0, as in ld.
    const weak = link(object((b) => (b[symAt(3, "st_info")] = 0x20)), { set: new Map() });
    expect(new DataView(weak.bytes.buffer).getInt32(8, true)).toBe(-4 - 0x1008);
  });

  it("rejects a field that runs past its section and an overflowing value", () => {
    expectRelocationError(() => link(ElfFile.parse({ path: "obj.o", bytes: base.bytes })), /\[2\] R_ABS64 at offset 0xc: 8-byte field at 0xc runs past the end of '.text' \(0x10 bytes\)/, 12n);
    expectRelocationError(() => link(object(), { set: new Map([["ext", 0x1_0000_2000n]]) }), /\[1\] R_PC32 at offset 0x8: S \+ A - P 0x100000ff4 overflows/);
  });

  it("refuses layouts that would allocate too much or cannot exist", () => {
    expect(() => link(object((b) => put(b, shAt(3, "sh_size"), 8, 1n << 62n, "little")))).toThrow(LinkError);
    expect(() => link(object((b) => put(b, shAt(2, "sh_addralign"), 8, 1n << 31n, "little")))).toThrow(/more than the limit of 0x10000000/);
    expect(() => link(object((b) => put(b, shAt(2, "sh_addralign"), 8, 24, "little")))).toThrow(/sh_addralign @0x[0-9a-f]+: 24 is not a usable power of two/);
    expect(() => link(object((b) => put(b, shAt(2, "sh_addralign"), 8, 1n << 63n, "little")))).toThrow(/linked image would be 0x7ffffffffffff004 bytes, more than the limit/);
    expect(() => link(object(), { base: 0xffff_ffff_ffff_fff0n })).toThrow(/past the ELF64 address space/);
    expect(() => link(object(), { base: 1n << 64n })).toThrow(/does not fit ELF64/);
  });

  it("links only relocatable objects of its machine", () => {
    expect(() => link(object((b) => put(b, 16, 2, 2, "little")))).toThrow(/e_type @0x10: not a relocatable object/);
    expect(() => link(object((b) => put(b, 18, 2, 183, "little")))).toThrow(/e_machine @0x12: e_machine 183 object cannot be linked with the e_machine 62 relocator/);
  });

  it("stores --set values into data objects and refuses ones that do not fit", () => {
    // Make "start" a 4-byte object in .data at offset 0.
    const dataObj = (b: Uint8Array) => {
      put(b, symAt(2, "st_shndx"), 2, 2, "little");
      put(b, symAt(2, "st_value"), 8, 0, "little");
      b[symAt(2, "st_info")] = 0x11;
    };
    const linked = link(object(dataObj), { set: new Map([["ext", 0x2000n], ["start", 0xcafef00dn]]) });
    expect(new DataView(linked.bytes.buffer).getUint32(0x10, true)).toBe(0xcafef00d);
    expect(() => link(object(dataObj), { set: new Map([["ext", 0x2000n], ["start", 1n << 32n]]) })).toThrow(/--set start: 0x100000000 does not fit its 4 bytes/);
  });
});
