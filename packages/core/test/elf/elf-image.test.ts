import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ELF_IMAGE_FORMAT, ElfFile, ElfImageFormat, assertElfRunnableBy, elfLayout, type ElfNoteDecoder } from "@handoff/core/elf";
import { FormatError, HandoffError } from "@handoff/core";
import * as fixtures from "@handoff/test-support/elf-fixtures";
import { ELF_SHAPES, pvhElf, pvhElfShaped, PVH_PHYS_BASE } from "@handoff/test-support/elf-fixtures";
import { concat, int, note, put, writeElf } from "@handoff/test-support/elf-writer";
import { READELF, requireTool, run, tempDir } from "@handoff/test-support";

const input = (bytes: Uint8Array, path = "test.elf") => ({ path, bytes });

describe("ELF struct layouts", () => {
  it("add up to the sizes the ABI gives", () => {
    expect([elfLayout.EHDR32_SIZE, elfLayout.EHDR64_SIZE, elfLayout.PHDR32_SIZE, elfLayout.PHDR64_SIZE]).toEqual([52, 64, 32, 56]);
    expect([elfLayout.SHDR32_SIZE, elfLayout.SHDR64_SIZE, elfLayout.SYM32_SIZE, elfLayout.SYM64_SIZE]).toEqual([40, 64, 16, 24]);
    expect([elfLayout.REL32_SIZE, elfLayout.RELA32_SIZE, elfLayout.REL64_SIZE, elfLayout.RELA64_SIZE, elfLayout.NHDR_SIZE]).toEqual([8, 12, 16, 24, 12]);
    expect(() => elfLayout.assertLayoutSize("x", { a: [0, 4], b: [8, 4] }, 12)).toThrow(/does not follow/);
  });
});

describe.each(ELF_SHAPES)("PVH-shaped ELF%i %s-endian", (elfClass, endian) => {
  const f = pvhElfShaped(elfClass, endian);
  const image = ELF_IMAGE_FORMAT.parse(input(f.bytes, "pvh.elf"));

  it("probes as ELF and names class, arch and byte order", () => {
    expect(ELF_IMAGE_FORMAT.probe(input(f.bytes))).toBe(true);
    expect(image.format).toBe(`ELF${elfClass}`);
    // Core reports the raw e_machine; naming it is the registered architectures' job (core/test/machine.test.ts).
    expect(image.arch).toBeUndefined();
    expect(image.machine).toEqual({ scheme: "elf", value: elfClass === 64 ? 62 : 3 });
    expect(image.metadata.endianness).toBe(endian);
  });

  it("loads the PT_LOADs at p_paddr, keeps p_vaddr, references the file, zero-fills BSS", () => {
    expect(image.segments.map((s) => [s.name, s.mem, s.memsz, s.bufsz, s.vaddr])).toEqual([
      ["PT_LOAD[0]", PVH_PHYS_BASE, 0x200n, 0x200n, f.virtBase + PVH_PHYS_BASE],
      ["PT_LOAD[1]", PVH_PHYS_BASE + 0x20_0000n, 0x3000n, 0x80n, f.virtBase + PVH_PHYS_BASE + 0x20_0000n],
    ]);
    expect(image.segments[0]!.data).toEqual({ kind: "file", path: "pvh.elf", offset: f.segmentOffsets[0], length: 0x200 });
    expect(image.segments[1]!.data).toEqual({ kind: "file", path: "pvh.elf", offset: f.segmentOffsets[1], length: 0x80 });
  });

  it("without a note decoder takes the entry from e_entry and lists the notes undecoded", () => {
    expect(image.entry).toEqual({ phys: PVH_PHYS_BASE, virt: f.virtBase + PVH_PHYS_BASE });
    expect(image.metadata.entrySource).toBe("e_entry-virtual");
    expect(image.metadata.xen).toBeUndefined();
  });

  it("scans every PT_NOTE with 4-byte padding whatever p_align says", () => {
    const notes = image.metadata.notes as { name: string; type: number; descsz: number; source: string; typeName: string }[];
    expect(notes.map((n) => [n.name, n.type, n.descsz, n.source, n.typeName])).toEqual([
      ["Linux", 1, 4, "PT_NOTE[2]", ""],
      ["Xen", 18, elfClass === 64 ? 8 : 4, "PT_NOTE[2]", ""],
      ["Xen", 6, 6, "PT_NOTE[3]", ""],
      ["Xen", 19, 12, "PT_NOTE[3]", ""],
      ["Xen", 1, elfClass === 64 ? 8 : 4, "PT_NOTE[3]", ""],
      ["GNU", 3, 20, "PT_NOTE[3]", ""],
    ]);
  });

  it("runs a note decoder over its owner's notes: values into the metadata, its entry over e_entry", () => {
    const seen: number[] = [];
    const decoder: ElfNoteDecoder = {
      owner: "Xen",
      metadataKey: "owned",
      typeName: (type) => `T${type}`,
      decode(_reader, notes) {
        seen.push(...notes.map((n) => n.type));
        return { values: { count: notes.length }, entry: { phys: PVH_PHYS_BASE + 0x40n, description: "test entry", source: "test-note", field: "test note", offset: notes[0]!.offset } };
      },
    };
    const decoded = new ElfImageFormat({ noteDecoders: [decoder] }).parse(input(f.bytes, "pvh.elf"));
    expect(seen).toEqual([18, 6, 19, 1]);
    expect(decoded.metadata.owned).toEqual({ count: 4 });
    expect(decoded.entry).toEqual({ phys: PVH_PHYS_BASE + 0x40n, virt: f.virtBase + PVH_PHYS_BASE });
    expect(decoded.metadata.entrySource).toBe("test-note");
    expect((decoded.metadata.notes as { typeName: string }[]).map((n) => n.typeName)).toEqual(["", "T18", "T6", "T19", "T1", ""]);
    const outside: ElfNoteDecoder = { ...decoder, decode: (r, notes) => ({ ...decoder.decode(r, notes), entry: { phys: 0x10n, description: "test entry", source: "test-note", field: "test note", offset: 7 } }) };
    const e = expectFormatError(() => new ElfImageFormat({ noteDecoders: [outside] }).parse(input(f.bytes)), /^test note$/, 7);
    expect(e.message).toMatch(/test entry 0x10 is outside every PT_LOAD/);
  });

  it("reads the same program headers, sections and notes as readelf", () => {
    if (!requireTool(READELF)) return;
    const dir = tempDir("handoff-elf-");
    const path = join(dir, "pvh.elf");
    writeFileSync(path, f.bytes);
    const out = run(READELF, ["-lhSnW", path]);
    const elf = ElfFile.parse(input(f.bytes));
    // Program headers: "  LOAD 0x000100 0xffffffff81000000 0x0000000001000000 0x000200 0x000200 R E 0x200000"
    const rows = [...out.matchAll(/^\s+(LOAD|NOTE)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]+?)\s+(0x[0-9a-f]+)$/gm)];
    expect(rows.map((m) => m.slice(2, 7).concat(m[8]!).map((x) => BigInt(x)))).toEqual(
      elf.programHeaders.map((p) => [p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.align]),
    );
    expect(out).toMatch(new RegExp(`Entry point address:\\s+0x${elf.header.entry.toString(16)}`));
    expect(out).toMatch(endian === "little" ? /little endian/ : /big endian/);
    const names = [...out.matchAll(/^\s+\[\s*\d+\]\s+(\S+)\s+(PROGBITS|NOBITS|STRTAB)/gm)].map((m) => m[1]);
    expect(names).toEqual(elf.sections.slice(1).map((s) => s.name));
    // Notes of the p_align 4 PT_NOTE: readelf pads by p_align, so on the p_align 8 one it
    // misreads the "Linux" note (6-byte name) where 4-byte padding, which we use, is right.
    const area = new RegExp(`notes found at file offset 0x0*${f.segmentOffsets[3]!.toString(16)} with length[^\\n]*\\n[^\\n]*\\n((?:  \\S.*\\n?)+)`).exec(out);
    expect(area).not.toBeNull();
    const theirs = [...area![1]!.matchAll(/^\s+(\S+)\s+0x([0-9a-f]+)\s.*?(?:description data: ([0-9a-f ]+?))?\s*$/gm)].map((m) => [m[1], Number.parseInt(m[2]!, 16), m[3]?.replaceAll(" ", "")]);
    const ours = elf.notes().filter((n) => n.source === "PT_NOTE[3]").map((n) => [n.name, n.desc.length, n.name === "GNU" ? undefined : Buffer.from(n.desc).toString("hex")]);
    expect(theirs).toEqual(ours);
  });
});

describe("physical vs virtual addresses", () => {
  /** An x86-64 ELF with one PT_LOAD of `size` zero bytes at `vaddr`/`paddr`. */
  const oneLoad = (entry: bigint, vaddr: bigint, paddr: bigint, size: number, memsz?: bigint) =>
    writeElf({ elfClass: 64, endian: "little", machine: 62, entry, segments: [{ type: 1, vaddr, paddr, data: new Uint8Array(size), ...(memsz === undefined ? {} : { memsz }) }] });
  // FreeBSD-style: p_vaddr 0xffffffff80200000, p_paddr 0x200000.
  const freebsd = oneLoad(0xffff_ffff_8020_0100n, 0xffff_ffff_8020_0000n, 0x20_0000n, 0x400, 0x1000n);

  it("translates a virtual e_entry through its PT_LOAD", () => {
    const image = ELF_IMAGE_FORMAT.parse(input(freebsd.bytes));
    expect(image.entry).toEqual({ phys: 0x20_0100n, virt: 0xffff_ffff_8020_0100n });
    expect(image.metadata.entrySource).toBe("e_entry-virtual");
    expect(image.segments[0]!.mem).toBe(0x20_0000n);
  });

  it("applies an explicit paddr offset for kernels whose p_paddr is a link address", () => {
    const linked = oneLoad(0xffff_ffff_8020_0100n, 0xffff_ffff_8020_0000n, 0xffff_ffff_8020_0000n, 0x400);
    const image = new ElfImageFormat({ paddrOffset: 0xffff_ffff_8000_0000n }).parse(input(linked.bytes));
    expect(image.segments[0]!.mem).toBe(0x20_0000n);
    expect(image.segments[0]!.vaddr).toBe(0xffff_ffff_8020_0000n);
    expect(image.entry.phys).toBe(0x20_0100n);
    expect(() => new ElfImageFormat({ paddrOffset: 0xffff_ffff_9000_0000n }).parse(input(linked.bytes))).toThrow(/below the paddr offset/);
  });

  it("accepts a physical e_entry (Linux vmlinux style) and says so", () => {
    const b = oneLoad(0x100_0000n, 0xffff_ffff_8100_0000n, 0x100_0000n, 0x100);
    const image = ELF_IMAGE_FORMAT.parse(input(b.bytes));
    expect(image.entry.phys).toBe(0x100_0000n);
    expect(image.metadata.entrySource).toBe("e_entry-physical");
  });

  it("reports any machine raw, known to handoff or not, without failing", () => {
    const b = writeElf({ elfClass: 64, endian: "big", machine: 21 /* EM_PPC64 */, entry: 0x1000n, segments: [{ type: 1, vaddr: 0x1000n, data: new Uint8Array(16) }] });
    const image = ELF_IMAGE_FORMAT.parse(input(b.bytes));
    expect([image.arch, image.machine, image.metadata.machine]).toEqual([undefined, { scheme: "elf", value: 21 }, 21]);
  });

  it("takes notes from SHT_NOTE sections when there are no program headers", () => {
    const n = note("Xen", 6, new TextEncoder().encode("freebsd\0"), "big");
    const elf = ElfFile.parse(input(writeElf({ elfClass: 32, endian: "big", machine: 40, type: 1, entry: 0n, sections: [{ name: ".note.Xen", type: 7, data: n }] }).bytes));
    expect(elf.notes().map((x) => [x.name, x.type, x.source])).toEqual([["Xen", 6, "section .note.Xen"]]);
  });
});

/** A FormatError naming `field` (regex) at `offset`. */
function expectFormatError(fn: () => unknown, field: RegExp, offset?: number | bigint) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected a FormatError").toBeInstanceOf(FormatError);
  const fe = error as FormatError;
  expect(fe.field).toMatch(field);
  if (offset !== undefined) expect(BigInt(fe.offset ?? -1)).toBe(BigInt(offset));
  return fe;
}

describe("hostile ELF input: every case is a FormatError naming field and offset", () => {
  const base = () => pvhElf({ elfClass: 64, endian: "little" });
  const P = elfLayout.PHDR64;
  const E = elfLayout.EHDR64;
  const parse = (b: Uint8Array, limits = {}) => () => ELF_IMAGE_FORMAT.parse(input(b), limits);
  const patched = (edit: (b: Uint8Array, f: ReturnType<typeof base>) => void) => {
    const f = base();
    const b = f.bytes.slice();
    edit(b, f);
    return b;
  };
  const ph = (f: { phoff: number }, i: number, field: keyof typeof P) => f.phoff + i * 56 + P[field][0];

  it("truncated headers at every length", () => {
    const f = base();
    for (let n = 0; n < 64; n++) expectFormatError(parse(f.bytes.subarray(0, n)), /^(e_ident|ELF header)/, 0);
    // Cut inside the program header table.
    expectFormatError(parse(f.bytes.subarray(0, f.phoff + 60)), /^e_phoff$/, E.e_phoff[0]);
    const f32 = pvhElf({ elfClass: 32, endian: "big" });
    for (let n = 16; n < 52; n++) expectFormatError(parse(f32.bytes.subarray(0, n)), /^ELF header$/, 0);
  });

  it("wrong class, data encoding or version", () => {
    expectFormatError(parse(patched((b) => (b[4] = 3))), /EI_CLASS/, 4);
    expectFormatError(parse(patched((b) => (b[4] = 0))), /EI_CLASS/, 4);
    expectFormatError(parse(patched((b) => (b[5] = 0))), /EI_DATA/, 5);
    expectFormatError(parse(patched((b) => (b[6] = 2))), /EI_VERSION/, 6);
    expectFormatError(parse(patched((b) => put(b, E.e_version[0], 4, 0, "little"))), /^e_version$/, E.e_version[0]);
    expectFormatError(parse(patched((b) => (b[0] = 0x7e))), /EI_MAG/, 0);
    expectFormatError(parse(patched((b) => put(b, E.e_ehsize[0], 2, 52, "little"))), /^e_ehsize$/, E.e_ehsize[0]);
  });

  it("e_phoff / e_phentsize / e_phnum out of range or wrapping", () => {
    expectFormatError(parse(patched((b) => put(b, E.e_phoff[0], 8, b.length, "little"))), /^e_phoff$/, E.e_phoff[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_phoff[0], 8, 0xffff_ffff_ffff_ff00n, "little"))), /^e_phoff$/, E.e_phoff[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_phoff[0], 8, 0n, "little"))), /^e_phoff$/, E.e_phoff[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_phentsize[0], 2, 32, "little"))), /^e_phentsize$/, E.e_phentsize[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_phentsize[0], 2, 0xffff, "little"))), /^e_phoff$/, E.e_phoff[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_phnum[0], 2, 5000, "little"))), /^e_phnum$/, E.e_phnum[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_phnum[0], 2, 4000, "little"))), /^e_phoff$/, E.e_phoff[0]);
    // PN_XNUM: the real count comes from section 0's sh_info, which is 0 here: no program headers,
    // so the entry is outside every PT_LOAD.
    expectFormatError(parse(patched((b) => put(b, E.e_phnum[0], 2, 0xffff, "little"))), /^e_entry$/, E.e_entry[0]);
  });

  it("p_offset + p_filesz past EOF or wrapping", () => {
    expectFormatError(parse(patched((b, f) => put(b, ph(f, 0, "p_filesz"), 8, 0x10_0000, "little"))), /^phdr\[0\]\.p_filesz$/);
    const wrap = patched((b, f) => put(b, ph(f, 0, "p_offset"), 8, 0xffff_ffff_ffff_fff0n, "little"));
    const e = expectFormatError(parse(wrap), /^phdr\[0\]\.p_filesz$/, base().phoff + P.p_filesz[0]);
    expect(e.reason).toMatch(/wraps past 2\^64/);
    // A PT_NOTE past EOF is caught too.
    expectFormatError(parse(patched((b, f) => put(b, ph(f, 2, "p_offset"), 8, b.length - 4, "little"))), /^phdr\[2\]\.p_filesz$/);
  });

  it("p_paddr + p_memsz wrapping, filesz > memsz, memsz of 2^62", () => {
    const e = expectFormatError(parse(patched((b, f) => put(b, ph(f, 0, "p_paddr"), 8, 0xffff_ffff_ffff_ff00n, "little"))), /^phdr\[0\]\.p_paddr$/, base().phoff + P.p_paddr[0]);
    expect(e.reason).toMatch(/wraps/);
    expectFormatError(parse(patched((b, f) => put(b, ph(f, 1, "p_memsz"), 8, 0x10, "little"))), /^phdr\[1\]\.p_filesz$/);
    const big = expectFormatError(parse(patched((b, f) => put(b, ph(f, 1, "p_memsz"), 8, 1n << 62n, "little"))), /^phdr\[1\]\.p_memsz$/, base().phoff + 56 + P.p_memsz[0]);
    expect(big.reason).toMatch(/exceeds the limit/);
    // ELF32 wraps at 2^32.
    const f32 = pvhElf({ elfClass: 32, endian: "little" });
    const b32 = f32.bytes.slice();
    put(b32, f32.phoff + elfLayout.PHDR32.p_paddr[0], 4, 0xffff_ff00, "little");
    expectFormatError(parse(b32), /^phdr\[0\]\.p_paddr$/, f32.phoff + elfLayout.PHDR32.p_paddr[0]);
  });

  it("overlapping PT_LOADs", () => {
    const b = patched((b, f) => put(b, ph(f, 1, "p_paddr"), 8, PVH_PHYS_BASE + 0x100n, "little"));
    const e = expectFormatError(parse(b), /^phdr\[1\]\.p_paddr$/);
    expect(e.reason).toMatch(/overlaps PT_LOAD\[0\]/);
  });

  it("PT_INTERP and ET_REL are not kernels", () => {
    expectFormatError(parse(patched((b, f) => put(b, ph(f, 3, "p_type"), 4, 3, "little"))), /^phdr\[3\]\.p_type$/, base().phoff + 3 * 56);
    expectFormatError(parse(patched((b) => put(b, E.e_type[0], 2, 1, "little"))), /^e_type$/, 16);
    expectFormatError(parse(patched((b) => put(b, E.e_type[0], 2, 4, "little"))), /^e_type$/, 16);
  });

  it("hostile notes: namesz 0xFFFFFFFD, desc past the segment, a truncated header", () => {
    const f = base();
    const noteAt = f.segmentOffsets[2]!;
    const b1 = f.bytes.slice();
    put(b1, noteAt, 4, 0xffff_fffd, "little");
    expectFormatError(parse(b1), /^PT_NOTE\[2\] note\[0\]\.n_namesz$/, noteAt);
    const b2 = f.bytes.slice();
    put(b2, noteAt + 4, 4, 0x1000, "little");
    expectFormatError(parse(b2), /^PT_NOTE\[2\] note\[0\]\.n_descsz$/, noteAt + 4);
    const b3 = f.bytes.slice();
    put(b3, noteAt + 4, 4, 0xffff_ffff, "little");
    expectFormatError(parse(b3), /n_descsz$/, noteAt + 4);
    const b4 = f.bytes.slice();
    put(b4, ph(f, 2, "p_filesz"), 8, 8, "little");
    expectFormatError(parse(b4), /^PT_NOTE\[2\] note\[0\]\.n_namesz$/, noteAt);
  });

  it("70,000 notes exceed the default cap, and parse when the limit is raised", () => {
    const one = note("", 1, new Uint8Array(0), "little");
    const many = new Uint8Array(one.length * 70_000);
    for (let i = 0; i < 70_000; i++) many.set(one, i * one.length);
    const b = writeElf({ elfClass: 64, endian: "little", machine: 62, entry: 0x1000n, segments: [{ type: 1, vaddr: 0x1000n, data: new Uint8Array(16) }, { type: 4, vaddr: 0n, data: many }] });
    const e = expectFormatError(parse(b.bytes), /note\[65536\]$/);
    expect(e.reason).toMatch(/more than 65536 notes/);
    expect((ELF_IMAGE_FORMAT.parse(input(b.bytes), { maxNotes: 70_000 }).metadata.notes as unknown[]).length).toBe(70_000);
    expectFormatError(parse(b.bytes, { maxNotes: 10 }), /note\[10\]$/);
  });

  it("entry outside every PT_LOAD (Xen's notes are @handoff/xen's: see its elf-notes test)", () => {
    const mk = (entry: bigint) => writeElf({ elfClass: 64, endian: "little", machine: 62, entry, segments: [{ type: 1, vaddr: PVH_PHYS_BASE, data: new Uint8Array(0x100) }] });
    expect(ELF_IMAGE_FORMAT.parse(input(mk(PVH_PHYS_BASE + 0xffn).bytes)).entry.phys).toBe(PVH_PHYS_BASE + 0xffn);
    expectFormatError(parse(mk(PVH_PHYS_BASE + 0x100n).bytes), /^e_entry$/, 24);
  });

  it("e_shnum 0xFFFF, section offsets past EOF, bad e_shstrndx", () => {
    expectFormatError(parse(patched((b) => put(b, E.e_shnum[0], 2, 0xffff, "little"))), /^e_shnum$/, E.e_shnum[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_shnum[0], 2, 0xffff, "little")), { maxSectionHeaders: 100 }), /^e_shnum$/, E.e_shnum[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_shoff[0], 8, 0xffff_ffff_ffff_fff0n, "little"))), /^e_shoff$/, E.e_shoff[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_shstrndx[0], 2, 1, "little"))), /^e_shstrndx$/, E.e_shstrndx[0]);
    expectFormatError(parse(patched((b) => put(b, E.e_shstrndx[0], 2, 0xfeff, "little"))), /^e_shstrndx$/, E.e_shstrndx[0]);
    const f = base();
    const b = f.bytes.slice();
    put(b, f.shoff + 64 + elfLayout.SHDR64.sh_offset[0], 8, 0xffff_ffff_ffff_0000n, "little");
    expectFormatError(parse(b), /^shdr\[1\]\.sh_size$/, f.shoff + 64 + elfLayout.SHDR64.sh_size[0]);
    const b2 = f.bytes.slice();
    put(b2, f.shoff + 64 + elfLayout.SHDR64.sh_name[0], 4, 0xffff, "little");
    expectFormatError(parse(b2), /^shdr\[1\]\.sh_name$/, f.shoff + 64);
  });

  it("never throws anything but a HandoffError on any single-byte corruption of the header tables", () => {
    const f = base();
    const end = f.phoff + 4 * 56;
    for (let at = 0; at < end; at++) {
      for (const v of [0x00, 0xff, 0x80]) {
        const b = f.bytes.slice();
        b[at] = v;
        try {
          ELF_IMAGE_FORMAT.parse(input(b));
        } catch (e) {
          expect(e).toBeInstanceOf(HandoffError);
        }
      }
    }
  });
});

describe("ET_REL objects from the typed writer", () => {
  it.each([[64, "little"], [64, "big"], [32, "little"], [32, "big"]] as const)("ELF%i %s: sections, symbols and relocations", (elfClass, endian) => {
    const { relObject } = fixtures;
    const elf = ElfFile.parse(input(relObject(elfClass, endian).bytes));
    expect(elf.sections.map((s) => s.name)).toEqual(["", ".text", ".data", ".bss", ".symtab", ".strtab", elfClass === 64 ? ".rela.text" : ".rel.text", ".shstrtab"]);
    const syms = elf.symbols(elf.symbolTableSection()!);
    expect(syms.map((s) => [s.name, s.value, s.bind, s.type, s.shndx])).toEqual([
      ["", 0n, 0, 0, 0],
      ["", 0n, 0, 3, 1],
      ["start", 4n, 1, 2, 1],
      ["ext", 0n, 1, 0, 0],
    ]);
    const [rs] = elf.relocationSections();
    expect([rs!.withAddend, rs!.target, rs!.symbolTable]).toEqual([elfClass === 64, 1, 4]);
    expect(rs!.entries.map((r) => [r.offset, r.symbol, r.type, r.addend])).toEqual(
      elfClass === 64 ? [[0n, 2, 1, 8n], [8n, 3, 2, -4n], [12n, 1, 1, 0n]] : [[0n, 2, 1, 0n], [8n, 3, 2, 0n], [12n, 1, 1, 0n]],
    );
  });

  it("rejects hostile symbol and relocation tables with the field and offset", () => {
    const w = fixtures.relObject(64, "little");
    const S = elfLayout.SHDR64;
    const sh = (i: number, f: keyof typeof S) => w.shoff + i * 64 + S[f][0];
    const edit = (fn: (b: Uint8Array) => void) => {
      const b = w.bytes.slice();
      fn(b);
      return ElfFile.parse(input(b));
    };
    expectFormatError(() => { const e = edit((b) => put(b, sh(4, "sh_entsize"), 8, 16, "little")); e.symbols(e.symbolTableSection()!); }, /sh_entsize$/, sh(4, "sh_entsize"));
    expectFormatError(() => { const e = edit((b) => put(b, sh(4, "sh_link"), 4, 1, "little")); e.symbols(e.symbolTableSection()!); }, /sh_link$/, sh(4, "sh_link"));
    expectFormatError(() => edit((b) => put(b, sh(4, "sh_link"), 4, 8, "little")), /sh_link$/, sh(4, "sh_link"));
    expectFormatError(() => { const e = edit((b) => put(b, w.sectionOffsets[4]! + 24 * 2, 4, 0x7000, "little")); e.symbols(e.symbolTableSection()!); }, /symbol\[2\]\.st_name$/, w.sectionOffsets[4]! + 48);
    expectFormatError(() => edit((b) => put(b, sh(6, "sh_size"), 8, 0x10_0000, "little")), /shdr\[6\]\.sh_size$/, sh(6, "sh_size"));
    expectFormatError(() => edit((b) => put(b, sh(6, "sh_size"), 8, 25, "little")).relocationSections(), /sh_size$/, sh(6, "sh_size"));
    expectFormatError(() => ElfFile.parse(input(w.bytes), { maxRelocations: 2 }).relocationSections(), /sh_size$/);
    expectFormatError(() => { const e = ElfFile.parse(input(w.bytes), { maxSymbols: 3 }); e.symbols(e.symbolTableSection()!); }, /sh_size$/);
  });
});

describe("bounded string and note walks", () => {
  it("refuses over-long names and accepts a last note whose padding is cut off", () => {
    const long = "x".repeat(5000);
    const w = writeElf({ elfClass: 64, endian: "little", machine: 62, type: 1, entry: 0n, sections: [{ name: long, type: 1, data: new Uint8Array(4) }] });
    expectFormatError(() => ElfFile.parse(input(w.bytes)), /^shdr\[1\]\.sh_name$/);
    expect(() => ElfFile.parse(input(w.bytes))).toThrow(/longer than 4096 bytes/);
    // "Xen" name (4 bytes), no desc, then a 1-byte name note with no padding at the end of the segment.
    const notes = concat(note("Xen", 6, new Uint8Array(0), "little"), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0x41));
    const b = writeElf({ elfClass: 64, endian: "little", machine: 62, entry: 0x1000n, segments: [{ type: 1, vaddr: 0x1000n, data: new Uint8Array(8) }, { type: 4, vaddr: 0n, data: notes }] });
    const meta = ELF_IMAGE_FORMAT.parse(input(b.bytes)).metadata.notes as { name: string; type: number }[];
    expect(meta.map((n) => [n.name, n.type])).toEqual([["Xen", 6], ["A", 7]]);
  });
});

describe("assertElfRunnableBy", () => {
  const arch = (elfMachine: number, endianness: ("little" | "big")[]) => ({ id: "test", elfMachine, endianness }) as unknown as Parameters<typeof assertElfRunnableBy>[1];
  it("refuses another machine or an unsupported byte order, naming the field", () => {
    const le = ElfFile.parse(input(pvhElf({ elfClass: 64, endian: "little" }).bytes)).header;
    const be = ElfFile.parse(input(pvhElf({ elfClass: 32, endian: "big", machine: 40 }).bytes)).header;
    expect(() => assertElfRunnableBy(le, arch(62, ["little"]), "k")).not.toThrow();
    expectFormatError(() => assertElfRunnableBy(le, arch(183, ["little", "big"]), "k"), /^e_machine$/, 18);
    expectFormatError(() => assertElfRunnableBy(be, arch(40, ["little"]), "k"), /EI_DATA/, 5);
    expect(() => assertElfRunnableBy(be, arch(40, ["little", "big"]), "k")).not.toThrow();
  });
});

describe("no copies", () => {
  it("notes and section contents are views of the input buffer", () => {
    const bytes = pvhElf({ elfClass: 64, endian: "little" }).bytes;
    const elf = ElfFile.parse(input(bytes));
    for (const n of elf.notes()) expect(n.desc.buffer).toBe(bytes.buffer);
    expect(elf.sectionBytes(elf.sections[1]!).buffer).toBe(bytes.buffer);
  });
});

describe("notes only in sections", () => {
  it("an image with program headers but no PT_NOTE takes its notes from SHT_NOTE sections", () => {
    const n = note("Xen", 18, int(0x1000, 4, "little"), "little");
    const b = writeElf({
      elfClass: 64,
      endian: "little",
      machine: 62,
      entry: 0xffff_ffff_8000_1000n,
      segments: [{ type: 1, vaddr: 0xffff_ffff_8000_1000n, paddr: 0x1000n, data: new Uint8Array(32) }],
      sections: [{ name: ".note.Xen", type: 7, flags: 2n, data: n }],
    });
    const image = ELF_IMAGE_FORMAT.parse(input(b.bytes));
    expect(image.entry).toEqual({ phys: 0x1000n, virt: 0xffff_ffff_8000_1000n });
    expect((image.metadata.notes as { source: string }[])[0]!.source).toBe("section .note.Xen");
  });
});
