import { describe, expect, it } from "vitest";
import { FormatError } from "@handoff/core";
import { ELF_IMAGE_FORMAT } from "@handoff/core/elf";
import { XEN_ELF_IMAGE_FORMAT, XEN_PVH_ENTRY_SOURCE, xenElfImageFormat, xenNoteTypeName } from "@handoff/xen";
import { ELF_SHAPES, pvhElf, pvhElfShaped, PVH_PHYS_BASE } from "@handoff/test-support/elf-fixtures";
import { int, note, writeElf } from "@handoff/test-support/elf-writer";
import { thrownBy } from "@handoff/test-support";

const input = (bytes: Uint8Array, path = "test.elf") => ({ path, bytes });

/** The FormatError `fn` throws, checked to name `field` (and `offset` when given). */
function formatErrorOf(fn: () => unknown, field: RegExp, offset?: number): FormatError {
  const e = thrownBy(FormatError, fn);
  expect(e.field).toMatch(field);
  if (offset !== undefined) expect(e.offset).toBe(offset);
  return e;
}

describe.each(ELF_SHAPES)("Xen notes of a PVH ELF%i %s-endian", (elfClass, endian) => {
  const f = pvhElfShaped(elfClass, endian);
  const image = XEN_ELF_IMAGE_FORMAT.parse(input(f.bytes, "pvh.elf"));

  it("take the entry from PHYS32_ENTRY (low 32 bits) and keep e_entry as the virtual one", () => {
    expect(image.entry).toEqual({ phys: f.phys32Entry, virt: f.virtBase + PVH_PHYS_BASE });
    expect(image.metadata.entrySource).toBe(XEN_PVH_ENTRY_SOURCE);
    // Core's format alone knows no owner's notes: the entry is e_entry's.
    const generic = ELF_IMAGE_FORMAT.parse(input(f.bytes, "pvh.elf"));
    expect(generic.metadata.entrySource).toBe("e_entry-virtual");
    expect(generic.entry.phys).toBe(PVH_PHYS_BASE);
    expect(generic.metadata.xen).toBeUndefined();
  });

  it("decode every Xen note by type into metadata.xen and name the types in metadata.notes", () => {
    expect(image.metadata.xen).toEqual({
      PHYS32_ENTRY: f.phys32Entry,
      GUEST_OS: "linux",
      PHYS32_RELOC: { align: 0x20_0000n, min: 0x100_0000n, max: 0xffff_ffffn },
      ENTRY: f.virtBase + PVH_PHYS_BASE,
    });
    const notes = image.metadata.notes as { name: string; typeName: string }[];
    expect(notes.map((n) => [n.name, n.typeName])).toEqual([
      ["Linux", ""],
      ["Xen", "PHYS32_ENTRY"],
      ["Xen", "GUEST_OS"],
      ["Xen", "PHYS32_RELOC"],
      ["Xen", "ENTRY"],
      ["GNU", ""],
    ]);
  });
});

describe("hostile Xen notes: a FormatError naming the note and its offset", () => {
  const parse = (b: Uint8Array) => () => XEN_ELF_IMAGE_FORMAT.parse(input(b));
  const withNote = (type: number, desc: Uint8Array, entry = PVH_PHYS_BASE) =>
    writeElf({ elfClass: 64, endian: "little", machine: 62, entry, segments: [{ type: 1, vaddr: PVH_PHYS_BASE, data: new Uint8Array(0x100) }, { type: 4, vaddr: 0n, data: note("Xen", type, desc, "little") }] });

  it("PHYS32_ENTRY of 3 bytes, or outside every PT_LOAD; e_entry outside every PT_LOAD", () => {
    const three = withNote(18, new Uint8Array(3));
    formatErrorOf(parse(three.bytes), /^Xen note PHYS32_ENTRY desc$/, three.segmentOffsets[1]! + 16);
    const outside = withNote(18, int(0x200_0000, 4, "little"));
    formatErrorOf(parse(outside.bytes), /^Xen note PHYS32_ENTRY$/, outside.segmentOffsets[1]);
    expect(XEN_ELF_IMAGE_FORMAT.parse(input(withNote(18, int(PVH_PHYS_BASE + 0xffn, 4, "little")).bytes)).entry.phys).toBe(PVH_PHYS_BASE + 0xffn);
    formatErrorOf(parse(withNote(18, int(PVH_PHYS_BASE + 0x100n, 4, "little")).bytes), /^Xen note PHYS32_ENTRY$/);
    formatErrorOf(parse(withNote(18, int(PVH_PHYS_BASE, 4, "little"), 0x5000n).bytes), /^e_entry$/, 24);
  });

  it("PHYS32_RELOC of 6 bytes, L1_MFN_VALID of 5; a string note without NUL is read whole", () => {
    formatErrorOf(parse(withNote(19, new Uint8Array(6)).bytes), /^Xen note PHYS32_RELOC desc$/);
    formatErrorOf(parse(withNote(13, new Uint8Array(5)).bytes), /^Xen note L1_MFN_VALID desc$/);
    // Linux writes FEATURES with `.ascii`: the descriptor's end ends the string.
    const guestOs = XEN_ELF_IMAGE_FORMAT.parse(input(withNote(6, Uint8Array.of(0x41, 0x42, 0x43, 0x44)).bytes));
    expect((guestOs.metadata.xen as Record<string, unknown>).GUEST_OS).toBe("ABCD");
    // An unknown type keeps its raw descriptor, in hex.
    const unknown = XEN_ELF_IMAGE_FORMAT.parse(input(withNote(99, Uint8Array.of(0xde, 0xad)).bytes));
    expect((unknown.metadata.xen as Record<string, unknown>)["type 99"]).toBe("dead");
    expect(xenNoteTypeName(99)).toBe("type 99");
  });

  it("the paddr offset applies with Xen's notes decoded too: PHYS32_ENTRY is checked against the moved PT_LOADs", () => {
    const f = pvhElf({ elfClass: 64, endian: "little" });
    const e = formatErrorOf(() => xenElfImageFormat({ paddrOffset: 0x100_0000n }).parse(input(f.bytes)), /^Xen note PHYS32_ENTRY$/);
    expect(e.message).toMatch(/PVH entry 0x1000040 is outside every PT_LOAD/);
    const shifted = xenElfImageFormat({ paddrOffset: 0x20n }).parse(input(f.bytes));
    expect(shifted.segments[0]!.mem).toBe(PVH_PHYS_BASE - 0x20n);
    expect(shifted.entry.phys).toBe(f.phys32Entry);
  });
});
