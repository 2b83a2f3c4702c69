/** ELF files the parser tests (and the fuzz harness) start from. */
import { concat, int, note, writeElf, type WrittenElf } from "./elf-writer.js";

export const PVH_PHYS_BASE = 0x100_0000n;
export const PVH_ENTRY_OFFSET = 0x40n;

export interface PvhElfOptions {
  readonly elfClass: 32 | 64;
  readonly endian: "little" | "big";
  readonly machine?: number;
  /** PHYS32_ENTRY desc width. */
  readonly entryDescBytes?: 4 | 8;
}

/**
 * A PVH-style kernel: two PT_LOADs linked high (virt != phys), the second with
 * BSS; a PT_NOTE (p_align 8) holding a "Linux" note whose 6-byte name only 4-byte
 * padding reads correctly, then the Xen PHYS32_ENTRY; a second PT_NOTE with
 * GUEST_OS, PHYS32_RELOC and ENTRY.
 */
export function pvhElf(o: PvhElfOptions): WrittenElf & { virtBase: bigint; phys32Entry: bigint } {
  const e = o.endian;
  const virtBase = o.elfClass === 64 ? 0xffff_ffff_8000_0000n : 0xc000_0000n;
  const text = new Uint8Array(0x200).map((_, i) => (i * 7) & 0xff);
  const data = new Uint8Array(0x80).fill(0xab);
  const phys32Entry = PVH_PHYS_BASE + PVH_ENTRY_OFFSET;
  const notes1 = concat(
    note("Linux", 1, int(0x12345678, 4, e), e),
    note("Xen", 18, int(o.entryDescBytes === 8 ? (0xdead_0000_0000_0000n | phys32Entry) : phys32Entry, o.entryDescBytes ?? 4, e), e),
  );
  const notes2 = concat(
    note("Xen", 6, new TextEncoder().encode("linux\0"), e),
    note("Xen", 19, concat(int(0x20_0000, 4, e), int(0x100_0000, 4, e), int(0xffff_ffff, 4, e)), e),
    note("Xen", 1, int(virtBase + PVH_PHYS_BASE, o.elfClass === 64 ? 8 : 4, e), e),
    note("GNU", 3, new Uint8Array(20).fill(0x5a), e),
  );
  return {
    ...writeElf({
      elfClass: o.elfClass,
      endian: e,
      machine: o.machine ?? (o.elfClass === 64 ? 62 : 3),
      entry: virtBase + PVH_PHYS_BASE, // link-time entry (virtual), as a kernel's e_entry
      segments: [
        { type: 1, flags: 5, vaddr: virtBase + PVH_PHYS_BASE, paddr: PVH_PHYS_BASE, data: text, align: 0x200000n },
        { type: 1, flags: 6, vaddr: virtBase + PVH_PHYS_BASE + 0x20_0000n, paddr: PVH_PHYS_BASE + 0x20_0000n, data, memsz: 0x3000n, align: 0x200000n },
        { type: 4, flags: 4, vaddr: 0n, data: notes1, align: 8n },
        { type: 4, flags: 4, vaddr: 0n, data: notes2, align: 4n },
      ],
      sections: [
        { name: ".text", type: 1, flags: 6n, addr: virtBase + PVH_PHYS_BASE, data: text, addralign: 16n },
        { name: ".bss", type: 8, flags: 3n, addr: virtBase + PVH_PHYS_BASE + 0x20_0080n, size: 0x2f80n, addralign: 16n },
      ],
    }),
    virtBase,
    phys32Entry,
  };
}

/**
 * A small ET_REL object: .text, .data, .bss, a symbol table with a local, a
 * global and an undefined symbol, and a RELA (ELF64) or REL (ELF32) section for .text.
 */
export function relObject(elfClass: 32 | 64, endian: "little" | "big", machine = elfClass === 64 ? 62 : 3): WrittenElf {
  const e = endian;
  const strtab = new TextEncoder().encode("\0start\0ext\0");
  const sym = (name: number, value: bigint, size: bigint, info: number, shndx: number) =>
    elfClass === 64
      ? concat(int(name, 4, e), Uint8Array.of(info, 0), int(shndx, 2, e), int(value, 8, e), int(size, 8, e))
      : concat(int(name, 4, e), int(value, 4, e), int(size, 4, e), Uint8Array.of(info, 0), int(shndx, 2, e));
  // 0 null, 1 section .text (local), 2 "start" global in .text, 3 "ext" undefined global
  const symtab = concat(sym(0, 0n, 0n, 0, 0), sym(0, 0n, 0n, 3, 1), sym(1, 4n, 4n, 0x12, 1), sym(7, 0n, 0n, 0x10, 0));
  const rel = (offset: bigint, symbol: number, type: number, addend: bigint) =>
    elfClass === 64
      ? concat(int(offset, 8, e), int((BigInt(symbol) << 32n) | BigInt(type), 8, e), int(addend, 8, e))
      : concat(int(offset, 4, e), int((symbol << 8) | type, 4, e));
  const relocs = concat(rel(0n, 2, 1, 8n), rel(8n, 3, 2, -4n), rel(12n, 1, 1, 0n));
  return writeElf({
    elfClass,
    endian,
    machine,
    type: 1,
    entry: 0n,
    sections: [
      { name: ".text", type: 1, flags: 6n, data: new Uint8Array(16).fill(0x90), addralign: 16n },
      { name: ".data", type: 1, flags: 3n, data: Uint8Array.of(1, 2, 3, 4), addralign: 4n },
      { name: ".bss", type: 8, flags: 3n, size: 32n, addralign: 8n },
      { name: ".symtab", type: 2, data: symtab, link: 5, info: 2, entsize: elfClass === 64 ? 24n : 16n, addralign: 8n },
      { name: ".strtab", type: 3, data: strtab },
      { name: elfClass === 64 ? ".rela.text" : ".rel.text", type: elfClass === 64 ? 4 : 9, data: relocs, link: 4, info: 1, entsize: elfClass === 64 ? 24n : 8n, addralign: 8n },
    ],
  });
}

/** Every ELF class and byte order a parser must read alike: describe.each over it. */
export const ELF_SHAPES = [
  [64, "little"],
  [64, "big"],
  [32, "little"],
  [32, "big"],
] as const;

/** The PVH-shaped ELF of one {@link ELF_SHAPES} entry, its PHYS32_ENTRY note as wide as the class's word. */
export function pvhElfShaped(elfClass: 32 | 64, endian: "little" | "big"): ReturnType<typeof pvhElf> {
  return pvhElf({ elfClass, endian, entryDescBytes: elfClass === 64 ? 8 : 4 });
}
