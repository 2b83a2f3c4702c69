/**
 * Xen ELF notes (owner "Xen"), decoded by type, and the ELF image format that
 * takes a PVH kernel's entry from XEN_ELFNOTE_PHYS32_ENTRY. Numbers and value kinds are
 * from Xen's public header xen/include/public/elfnote.h: numeric notes are 4 or
 * 8 bytes in the file's byte order, string notes are NUL-terminated (or, as
 * Linux's FEATURES note, end with the descriptor).
 */
import { latin1, type ByteReader } from "@handoff/core";
import { ElfImageFormat, type ElfImageOptions, type ElfNote, type ElfNoteDecoder } from "@handoff/core/elf";

/** Owner name of Xen notes (n_name "Xen"). */
export const XEN_NOTE_NAME = "Xen";

/** elfnote.h XEN_ELFNOTE_INFO: a NAME=VALUE pair string (legacy, from the old __xen_guest section). */
export const XEN_ELFNOTE_INFO = 0;
/** elfnote.h XEN_ELFNOTE_ENTRY: virtual address of the PV entry point. */
export const XEN_ELFNOTE_ENTRY = 1;
/** elfnote.h XEN_ELFNOTE_HYPERCALL_PAGE: virtual address of the hypercall page. */
export const XEN_ELFNOTE_HYPERCALL_PAGE = 2;
/** elfnote.h XEN_ELFNOTE_VIRT_BASE: virtual address where the kernel image is mapped. */
export const XEN_ELFNOTE_VIRT_BASE = 3;
/** elfnote.h XEN_ELFNOTE_PADDR_OFFSET: offset subtracted from ELF addresses to get physical ones. */
export const XEN_ELFNOTE_PADDR_OFFSET = 4;
/** elfnote.h XEN_ELFNOTE_XEN_VERSION: Xen version the guest expects (string). */
export const XEN_ELFNOTE_XEN_VERSION = 5;
/** elfnote.h XEN_ELFNOTE_GUEST_OS: guest OS name (string). */
export const XEN_ELFNOTE_GUEST_OS = 6;
/** elfnote.h XEN_ELFNOTE_GUEST_VERSION: guest OS version (string). */
export const XEN_ELFNOTE_GUEST_VERSION = 7;
/** elfnote.h XEN_ELFNOTE_LOADER: loader type, e.g. "generic" (string). */
export const XEN_ELFNOTE_LOADER = 8;
/** elfnote.h XEN_ELFNOTE_PAE_MODE: whether the kernel supports PAE (string). */
export const XEN_ELFNOTE_PAE_MODE = 9;
/** elfnote.h XEN_ELFNOTE_FEATURES: '|'-separated feature flags the kernel needs or supports (string). */
export const XEN_ELFNOTE_FEATURES = 10;
/** elfnote.h XEN_ELFNOTE_BSD_SYMTAB: load the symbol table after the kernel (string). */
export const XEN_ELFNOTE_BSD_SYMTAB = 11;
/** elfnote.h XEN_ELFNOTE_HV_START_LOW: lowest address the hypervisor hole may start at. */
export const XEN_ELFNOTE_HV_START_LOW = 12;
/** elfnote.h XEN_ELFNOTE_L1_MFN_VALID: mask/value pairs recognising L1 page table entries that carry valid MFNs. */
export const XEN_ELFNOTE_L1_MFN_VALID = 13;
/** elfnote.h XEN_ELFNOTE_SUSPEND_CANCEL: kernel supports the suspend-cancel return. */
export const XEN_ELFNOTE_SUSPEND_CANCEL = 14;
/** elfnote.h XEN_ELFNOTE_INIT_P2M: virtual address for the initial P2M table. */
export const XEN_ELFNOTE_INIT_P2M = 15;
/** elfnote.h XEN_ELFNOTE_MOD_START_PFN: module start is given as a PFN, not a virtual address. */
export const XEN_ELFNOTE_MOD_START_PFN = 16;
/** elfnote.h XEN_ELFNOTE_SUPPORTED_FEATURES: bitmap of supported features (XENFEAT_*). */
export const XEN_ELFNOTE_SUPPORTED_FEATURES = 17;
/** PVH: 32-bit physical entry point; desc 4 or 8 bytes, low 32 bits used. */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
/** PVH: relocatable kernel; up to three u32 (alignment, minimum, maximum). */
export const XEN_ELFNOTE_PHYS32_RELOC = 19;

type Kind = "numeric" | "string" | "numeric-array" | "phys32-reloc";

const XEN_NOTE_TYPES: Record<number, { name: string; kind: Kind }> = {
  [XEN_ELFNOTE_INFO]: { name: "INFO", kind: "string" },
  [XEN_ELFNOTE_ENTRY]: { name: "ENTRY", kind: "numeric" },
  [XEN_ELFNOTE_HYPERCALL_PAGE]: { name: "HYPERCALL_PAGE", kind: "numeric" },
  [XEN_ELFNOTE_VIRT_BASE]: { name: "VIRT_BASE", kind: "numeric" },
  [XEN_ELFNOTE_PADDR_OFFSET]: { name: "PADDR_OFFSET", kind: "numeric" },
  [XEN_ELFNOTE_XEN_VERSION]: { name: "XEN_VERSION", kind: "string" },
  [XEN_ELFNOTE_GUEST_OS]: { name: "GUEST_OS", kind: "string" },
  [XEN_ELFNOTE_GUEST_VERSION]: { name: "GUEST_VERSION", kind: "string" },
  [XEN_ELFNOTE_LOADER]: { name: "LOADER", kind: "string" },
  [XEN_ELFNOTE_PAE_MODE]: { name: "PAE_MODE", kind: "string" },
  [XEN_ELFNOTE_FEATURES]: { name: "FEATURES", kind: "string" },
  [XEN_ELFNOTE_BSD_SYMTAB]: { name: "BSD_SYMTAB", kind: "string" },
  [XEN_ELFNOTE_HV_START_LOW]: { name: "HV_START_LOW", kind: "numeric" },
  [XEN_ELFNOTE_L1_MFN_VALID]: { name: "L1_MFN_VALID", kind: "numeric-array" },
  [XEN_ELFNOTE_SUSPEND_CANCEL]: { name: "SUSPEND_CANCEL", kind: "numeric" },
  [XEN_ELFNOTE_INIT_P2M]: { name: "INIT_P2M", kind: "numeric" },
  [XEN_ELFNOTE_MOD_START_PFN]: { name: "MOD_START_PFN", kind: "numeric" },
  [XEN_ELFNOTE_SUPPORTED_FEATURES]: { name: "SUPPORTED_FEATURES", kind: "numeric" },
  [XEN_ELFNOTE_PHYS32_ENTRY]: { name: "PHYS32_ENTRY", kind: "numeric" },
  [XEN_ELFNOTE_PHYS32_RELOC]: { name: "PHYS32_RELOC", kind: "phys32-reloc" },
};

/** Name of a Xen note type (`PHYS32_ENTRY`...) or `type N`. */
export function xenNoteTypeName(type: number): string {
  return XEN_NOTE_TYPES[type]?.name ?? `type ${type}`;
}

/** PHYS32_RELOC's constraints; absent fields take Xen's documented defaults. */
export interface Phys32Reloc {
  readonly align: bigint | undefined;
  readonly min: bigint | undefined;
  readonly max: bigint | undefined;
}

/** One decoded Xen note. */
export interface XenNote {
  readonly type: number;
  readonly typeName: string;
  readonly value: bigint | string | readonly bigint[] | Phys32Reloc | Uint8Array;
  readonly offset: number;
}

/** Every Xen note of a file, plus the values loaders act on. */
export interface XenNotes {
  readonly notes: readonly XenNote[];
  /** PHYS32_ENTRY, low 32 bits. */
  readonly phys32Entry: bigint | undefined;
  readonly phys32EntryOffset: number | undefined;
  readonly phys32Reloc: Phys32Reloc | undefined;
  readonly entry: bigint | undefined;
  readonly virtBase: bigint | undefined;
  readonly paddrOffset: bigint | undefined;
  readonly hypercallPage: bigint | undefined;
  readonly guestOs: string | undefined;
}

/** Decode the notes owned by "Xen"; a note of a known type with a malformed desc is a FormatError. */
export function decodeXenNotes(r: ByteReader, notes: readonly ElfNote[]): XenNotes {
  const out: XenNote[] = [];
  const numeric = new Map<number, bigint>();
  const strings = new Map<number, string>();
  let phys32Reloc: Phys32Reloc | undefined;
  let phys32EntryOffset: number | undefined;
  for (const note of notes) {
    if (note.name !== XEN_NOTE_NAME) continue;
    const known = XEN_NOTE_TYPES[note.type];
    const field = `Xen note ${known?.name ?? `type ${note.type}`} desc`;
    let value: XenNote["value"];
    switch (known?.kind) {
      case "numeric": {
        const v = readNumeric(r, note, field);
        value = note.type === XEN_ELFNOTE_PHYS32_ENTRY ? v & 0xffff_ffffn : v;
        numeric.set(note.type, value);
        if (note.type === XEN_ELFNOTE_PHYS32_ENTRY) phys32EntryOffset = note.offset;
        break;
      }
      case "string": {
        // Linux writes FEATURES with `.ascii` (xen-head.S): no NUL. The descriptor's size bounds the string either way.
        const nul = note.desc.indexOf(0);
        value = latin1(note.desc.subarray(0, nul < 0 ? note.desc.length : nul));
        strings.set(note.type, value);
        break;
      }
      case "numeric-array": {
        if (note.desc.length % 4 !== 0) throw r.error(field, note.descOffset, `${note.desc.length} bytes is not a whole number of 32-bit values`);
        value = Array.from({ length: note.desc.length / 4 }, (_, k) => BigInt(r.u32(field, note.descOffset + 4 * k)));
        break;
      }
      case "phys32-reloc": {
        // Three optional u32 in this order: alignment, minimum start, maximum last byte.
        if (note.desc.length % 4 !== 0 || note.desc.length > 12) {
          throw r.error(field, note.descOffset, `${note.desc.length} bytes; expected 0, 4, 8 or 12 (up to three 32-bit values)`);
        }
        const word = (k: number) => (note.desc.length >= 4 * (k + 1) ? BigInt(r.u32(field, note.descOffset + 4 * k)) : undefined);
        value = phys32Reloc = { align: word(0), min: word(1), max: word(2) };
        break;
      }
      default:
        value = note.desc;
    }
    out.push({ type: note.type, typeName: xenNoteTypeName(note.type), value, offset: note.offset });
  }
  return {
    notes: out,
    phys32Entry: numeric.get(XEN_ELFNOTE_PHYS32_ENTRY),
    phys32EntryOffset,
    phys32Reloc,
    entry: numeric.get(XEN_ELFNOTE_ENTRY),
    virtBase: numeric.get(XEN_ELFNOTE_VIRT_BASE),
    paddrOffset: numeric.get(XEN_ELFNOTE_PADDR_OFFSET),
    hypercallPage: numeric.get(XEN_ELFNOTE_HYPERCALL_PAGE),
    guestOs: strings.get(XEN_ELFNOTE_GUEST_OS),
  };
}

function readNumeric(r: ByteReader, note: ElfNote, field: string): bigint {
  if (note.desc.length === 4) return BigInt(r.u32(field, note.descOffset));
  if (note.desc.length === 8) return r.u64(field, note.descOffset);
  throw r.error(field, note.descOffset, `numeric note must have a 4- or 8-byte desc, not ${note.desc.length}`);
}

/** `Image.metadata.entrySource` of an ELF whose entry came from PHYS32_ENTRY. */
export const XEN_PVH_ENTRY_SOURCE = "xen-phys32-entry";

/** Xen's notes for core's ELF image format: every note's value under `metadata.xen`, and the PVH entry. */
export const XEN_ELF_NOTES: ElfNoteDecoder = {
  owner: XEN_NOTE_NAME,
  metadataKey: "xen",
  typeName: xenNoteTypeName,
  decode(reader, notes) {
    const xen = decodeXenNotes(reader, notes);
    const values = Object.fromEntries(xen.notes.map((n) => [n.typeName, n.value instanceof Uint8Array ? hexBytes(n.value) : n.value]));
    if (xen.phys32Entry === undefined) return { values };
    return { values, entry: { phys: xen.phys32Entry, description: "PVH entry", source: XEN_PVH_ENTRY_SOURCE, field: "Xen note PHYS32_ENTRY", offset: xen.phys32EntryOffset! } };
  },
};

/** Core's ELF image format with Xen's notes decoded (entry from PHYS32_ENTRY when present). */
export function xenElfImageFormat(options: Omit<ElfImageOptions, "noteDecoders"> = {}): ElfImageFormat {
  return new ElfImageFormat({ ...options, noteDecoders: [XEN_ELF_NOTES] });
}

/** {@link xenElfImageFormat} with p_paddr physical: what loads PVH kernels and inspects Xen images. */
export const XEN_ELF_IMAGE_FORMAT: ElfImageFormat = xenElfImageFormat();

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
