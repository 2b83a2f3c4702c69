import { ValidationError, alignUp, checkedAdd64, fitsUnsigned } from "@handoff/core";
import { PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE } from "@handoff/core/elf";
import { EM_386, EM_X86_64 } from "./elf-machines.js";
import { XEN_ELFNOTE_PHYS32_ENTRY } from "@handoff/xen";

// ELF header and program header layout (System V gABI, "ELF Header", "Program Header").
const ELF32_EHDR = 52;
const ELF64_EHDR = 64;
const ELF32_PHDR = 32;
const ELF64_PHDR = 56;

/** One PT_LOAD: `bytes` at physical (and virtual) address `paddr`, zero-filled up to `memsz`. */
export interface PvhLoad {
  readonly paddr: bigint;
  readonly bytes: Uint8Array;
  readonly memsz?: bigint;
}

/** How to wrap a payload as a PVH-bootable ELF: class, 32-bit entry and the loads. */
export interface PvhElfOptions {
  /** ELF32 (EM_386) or ELF64 (EM_X86_64). */
  readonly elfClass: 32 | 64;
  /** 32-bit physical entry, written to the Xen PHYS32_ENTRY note and e_entry. */
  readonly entry32: bigint;
  readonly loads: readonly PvhLoad[];
}

/**
 * Write a PVH-bootable ELF: PT_NOTE with one "Xen" note of type 18
 * (PHYS32_ENTRY; desc 4 bytes on ELF32, 8 on ELF64, as Linux emits it) and one
 * PT_LOAD per load, file offsets congruent to addresses modulo 4 KiB. The note
 * segment's p_align is 4: notes are 4-byte padded (gABI "Note Section"), and
 * some loaders pad the name to p_align.
 */
export function writePvhElf(options: PvhElfOptions): Uint8Array {
  const is64 = options.elfClass === 64;
  if (!fitsUnsigned(options.entry32, 32)) throw new ValidationError("PVH ELF", "PHYS32_ENTRY must be a 32-bit address");
  if (options.loads.length === 0 || options.loads.length > 0xfff0) throw new ValidationError("PVH ELF", "needs 1..65520 loads");
  const loads = [...options.loads].sort((a, b) => (a.paddr < b.paddr ? -1 : 1));
  for (let i = 0; i < loads.length; i++) {
    const l = loads[i]!;
    const memsz = l.memsz ?? BigInt(l.bytes.length);
    if (memsz < BigInt(l.bytes.length)) throw new ValidationError("PVH ELF", `load at 0x${l.paddr.toString(16)}: memsz below file size`);
    const end = checkedAdd64(l.paddr, memsz, "PVH ELF load");
    if (!is64 && end > 0x1_0000_0000n) throw new ValidationError("PVH ELF", `load at 0x${l.paddr.toString(16)} does not fit ELF32`);
    const next = loads[i + 1];
    if (next && next.paddr < end) throw new ValidationError("PVH ELF", `loads at 0x${l.paddr.toString(16)} and 0x${next.paddr.toString(16)} overlap`);
  }
  const ehdr = is64 ? ELF64_EHDR : ELF32_EHDR;
  const phsz = is64 ? ELF64_PHDR : ELF32_PHDR;
  const phnum = loads.length + 1;
  const descsz = is64 ? 8 : 4;
  const note = new Uint8Array(12 + 4 + descsz);
  const nv = new DataView(note.buffer);
  nv.setUint32(0, 4, true); // namesz: "Xen\0"
  nv.setUint32(4, descsz, true);
  nv.setUint32(8, XEN_ELFNOTE_PHYS32_ENTRY, true);
  note.set([0x58, 0x65, 0x6e, 0x00], 12);
  if (is64) nv.setBigUint64(16, options.entry32, true);
  else nv.setUint32(16, Number(options.entry32), true);
  const noteOff = ehdr + phnum * phsz;
  let off = BigInt(noteOff + note.length);
  const offsets: bigint[] = [];
  for (const l of loads) {
    // p_offset ≡ p_vaddr (mod p_align), gABI "Program Header".
    const page = alignUp(off, 0x1000n);
    off = page + (l.paddr & 0xfffn);
    offsets.push(off);
    off += BigInt(l.bytes.length);
  }
  const out = new Uint8Array(Number(off));
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1, 0], 0); // ELFCLASS, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, is64 ? EM_X86_64 : EM_386, true);
  v.setUint32(20, 1, true);
  if (is64) {
    v.setBigUint64(24, options.entry32, true);
    v.setBigUint64(32, BigInt(ehdr), true); // e_phoff
    v.setUint16(52, ehdr, true);
    v.setUint16(54, phsz, true);
    v.setUint16(56, phnum, true);
    v.setUint16(58, 64, true); // e_shentsize (no sections)
  } else {
    v.setUint32(24, Number(options.entry32), true);
    v.setUint32(28, ehdr, true);
    v.setUint16(40, ehdr, true);
    v.setUint16(42, phsz, true);
    v.setUint16(44, phnum, true);
    v.setUint16(46, 40, true);
  }
  const phdr = (i: number, type: number, flags: number, offset: bigint, addr: bigint, filesz: bigint, memsz: bigint, align: bigint) => {
    const at = ehdr + i * phsz;
    if (is64) {
      v.setUint32(at, type, true);
      v.setUint32(at + 4, flags, true);
      v.setBigUint64(at + 8, offset, true);
      v.setBigUint64(at + 16, addr, true);
      v.setBigUint64(at + 24, addr, true);
      v.setBigUint64(at + 32, filesz, true);
      v.setBigUint64(at + 40, memsz, true);
      v.setBigUint64(at + 48, align, true);
    } else {
      v.setUint32(at, type, true);
      v.setUint32(at + 4, Number(offset), true);
      v.setUint32(at + 8, Number(addr), true);
      v.setUint32(at + 12, Number(addr), true);
      v.setUint32(at + 16, Number(filesz), true);
      v.setUint32(at + 20, Number(memsz), true);
      v.setUint32(at + 24, flags, true);
      v.setUint32(at + 28, Number(align), true);
    }
  };
  phdr(0, PT_NOTE, PF_R, BigInt(noteOff), 0n, BigInt(note.length), BigInt(note.length), 4n);
  out.set(note, noteOff);
  loads.forEach((l, i) => {
    out.set(l.bytes, Number(offsets[i]!));
    phdr(i + 1, PT_LOAD, PF_R | PF_W | PF_X, offsets[i]!, l.paddr, BigInt(l.bytes.length), l.memsz ?? BigInt(l.bytes.length), 0x1000n);
  });
  return out;
}
