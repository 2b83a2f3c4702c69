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
