/**
 * A small typed ELF writer for tests: builds ELF32/ELF64 files of either byte
 * order from a description, so parser tests can make exactly the file they need
 * (valid, or valid and then patched into a hostile one at a known offset).
 * Layout: ELF header | program headers | segment data | section data | shstrtab | section headers.
 */
import { elfLayout } from "@handoff/core/elf";

export interface WriterSegment {
  readonly type: number;
  readonly flags?: number;
  readonly vaddr: bigint;
  /** Defaults to vaddr. */
  readonly paddr?: bigint;
  readonly data?: Uint8Array;
  /** Defaults to data length; larger means BSS. */
  readonly memsz?: bigint;
  readonly align?: bigint;
}

export interface WriterSection {
  readonly name: string;
  readonly type: number;
  readonly flags?: bigint;
  readonly addr?: bigint;
  readonly data?: Uint8Array;
  /** For NOBITS: the size without file bytes. */
  readonly size?: bigint;
  readonly link?: number;
  readonly info?: number;
  readonly addralign?: bigint;
  readonly entsize?: bigint;
}

export interface ElfSpec {
  readonly elfClass: 32 | 64;
  readonly endian: "little" | "big";
  readonly type?: number;
  readonly machine: number;
  readonly entry: bigint;
  readonly flags?: number;
  readonly segments?: readonly WriterSegment[];
  /** Sections after the implicit null section 0; a .shstrtab is appended when any are given. */
  readonly sections?: readonly WriterSection[];
}

export interface WrittenElf {
  readonly bytes: Uint8Array;
  readonly phoff: number;
  readonly phentsize: number;
  readonly shoff: number;
  readonly shentsize: number;
  /** File offset of each segment's data. */
  readonly segmentOffsets: readonly number[];
  /** File offset of each section's data (index 0 = null section). */
  readonly sectionOffsets: readonly number[];
}

/** Write `value` (`width` bytes) at `offset` in the given byte order. */
export function put(bytes: Uint8Array, offset: number, width: number, value: bigint | number, endian: "little" | "big"): void {
  let v = BigInt.asUintN(width * 8, BigInt(value));
  for (let i = 0; i < width; i++) {
    bytes[endian === "little" ? offset + i : offset + width - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** One ELF note (4-byte padded) in the given byte order. */
export function note(name: string, type: number, desc: Uint8Array, endian: "little" | "big"): Uint8Array {
  const nameBytes = name.length ? new TextEncoder().encode(`${name}\0`) : new Uint8Array(0);
  const pad = (n: number) => (n + 3) & ~3;
  const out = new Uint8Array(12 + pad(nameBytes.length) + pad(desc.length));
  put(out, 0, 4, nameBytes.length, endian);
  put(out, 4, 4, desc.length, endian);
  put(out, 8, 4, type, endian);
  out.set(nameBytes, 12);
  out.set(desc, 12 + pad(nameBytes.length));
  return out;
}

/** An integer as `width` bytes. */
export function int(value: bigint | number, width: number, endian: "little" | "big"): Uint8Array {
  const b = new Uint8Array(width);
  put(b, 0, width, value, endian);
  return b;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function writeElf(spec: ElfSpec): WrittenElf {
  const is64 = spec.elfClass === 64;
  const E = is64 ? elfLayout.EHDR64 : elfLayout.EHDR32;
  const P = is64 ? elfLayout.PHDR64 : elfLayout.PHDR32;
  const S = is64 ? elfLayout.SHDR64 : elfLayout.SHDR32;
  const ehsize = is64 ? elfLayout.EHDR64_SIZE : elfLayout.EHDR32_SIZE;
  const phentsize = is64 ? elfLayout.PHDR64_SIZE : elfLayout.PHDR32_SIZE;
  const shentsize = is64 ? elfLayout.SHDR64_SIZE : elfLayout.SHDR32_SIZE;
  const segments = spec.segments ?? [];
  const userSections = spec.sections ?? [];
  const sections: WriterSection[] = userSections.length ? [...userSections] : [];
  let shstrtab: Uint8Array | undefined;
  const nameOffsets: number[] = [0];
  if (sections.length) {
    const names = ["", ...sections.map((s) => s.name), ".shstrtab"];
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [];
    let off = 0;
    nameOffsets.length = 0;
    for (const n of names) {
      nameOffsets.push(off);
      const b = enc.encode(`${n}\0`);
      parts.push(b);
      off += b.length;
    }
    shstrtab = concat(...parts);
    sections.push({ name: ".shstrtab", type: 3, data: shstrtab });
  }
  const phoff = segments.length ? ehsize : 0;
  let cursor = ehsize + segments.length * phentsize;
  const segmentOffsets = segments.map((s) => {
    cursor = align(cursor, 16);
    const at = cursor;
    cursor += s.data?.length ?? 0;
    return at;
  });
  const sectionOffsets = [0, ...sections.map((s) => {
    cursor = align(cursor, 16);
    const at = cursor;
    cursor += s.type === 8 ? 0 : (s.data?.length ?? 0);
    return at;
  })];
  cursor = align(cursor, 8);
  const shoff = sections.length ? cursor : 0;
  const shnum = sections.length ? sections.length + 1 : 0;
  const total = cursor + shnum * shentsize;
  const b = new Uint8Array(total);
  const e = spec.endian;
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, e === "little" ? 1 : 2, 1], 0);
  const w = (field: readonly [number, number], value: bigint | number, base = 0) => put(b, base + field[0], field[1], value, e);
  w(E.e_type, spec.type ?? 2);
  w(E.e_machine, spec.machine);
  w(E.e_version, 1);
  w(E.e_entry, spec.entry);
  w(E.e_phoff, phoff);
  w(E.e_shoff, shoff);
  w(E.e_flags, spec.flags ?? 0);
  w(E.e_ehsize, ehsize);
  w(E.e_phentsize, segments.length ? phentsize : 0);
  w(E.e_phnum, segments.length);
  w(E.e_shentsize, sections.length ? shentsize : 0);
  w(E.e_shnum, shnum);
  w(E.e_shstrndx, sections.length ? sections.length : 0);
  segments.forEach((s, i) => {
    const base = phoff + i * phentsize;
    const len = BigInt(s.data?.length ?? 0);
    w(P.p_type, s.type, base);
    w(P.p_flags, s.flags ?? 5, base);
    w(P.p_offset, segmentOffsets[i]!, base);
    w(P.p_vaddr, s.vaddr, base);
    w(P.p_paddr, s.paddr ?? s.vaddr, base);
    w(P.p_filesz, len, base);
    w(P.p_memsz, s.memsz ?? len, base);
    w(P.p_align, s.align ?? 4n, base);
    if (s.data) b.set(s.data, segmentOffsets[i]!);
  });
  sections.forEach((s, k) => {
    const i = k + 1;
    const base = shoff + i * shentsize;
    w(S.sh_name, nameOffsets[i]!, base);
    w(S.sh_type, s.type, base);
    w(S.sh_flags, s.flags ?? 0n, base);
    w(S.sh_addr, s.addr ?? 0n, base);
    w(S.sh_offset, sectionOffsets[i]!, base);
    w(S.sh_size, s.size ?? BigInt(s.data?.length ?? 0), base);
    w(S.sh_link, s.link ?? 0, base);
    w(S.sh_info, s.info ?? 0, base);
    w(S.sh_addralign, s.addralign ?? 1n, base);
    w(S.sh_entsize, s.entsize ?? 0n, base);
    if (s.data && s.type !== 8) b.set(s.data, sectionOffsets[i]!);
  });
  return { bytes: b, phoff, phentsize, shoff, shentsize, segmentOffsets, sectionOffsets };
}
