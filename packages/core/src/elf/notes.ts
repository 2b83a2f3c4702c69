/**
 * ELF notes (System V ABI, "Note Section"): namesz, descsz, type, then name and
 * desc, each padded to 4 bytes. The 4-byte padding is used whatever p_align says,
 * as Xen's libelf and Linux do for the notes kernels carry.
 */
import type { ByteReader } from "../byte-reader.js";
import { latin1 } from "../byte-reader.js";
import { NHDR, NHDR_SIZE } from "./layout.js";

const NOTE_ALIGN = 4;

/** One note, its desc a view into the file (never a copy). */
export interface ElfNote {
  /** Owner name without its terminating NUL, e.g. `Xen`, `GNU`, `Linux`. */
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /** File offset of the note header. */
  readonly offset: number;
  /** File offset of desc. */
  readonly descOffset: number;
  /** Where the note was found: `PT_NOTE[2]` or `section .note.Xen`. */
  readonly source: string;
}

/** Shared count across all note areas of one file, so the cap covers the whole file. */
export interface NoteBudget {
  readonly max: number;
  count: number;
}

/** Walk the notes in `[start, start + size)` of the file. */
export function readNotes(r: ByteReader, start: number, size: number, source: string, budget: NoteBudget): ElfNote[] {
  r.require(`${source} notes`, start, size);
  const end = start + size;
  const out: ElfNote[] = [];
  let pos = start;
  // Each iteration advances by at least NHDR_SIZE, so the walk is bounded by size / 12.
  while (pos < end) {
    const i = budget.count;
    const field = `${source} note[${out.length}]`;
    if (budget.count >= budget.max) {
      throw r.error(field, pos, `more than ${budget.max} notes (the configured limit)`);
    }
    if (end - pos < NHDR_SIZE) throw r.error(`${field}.n_namesz`, pos, `${end - pos} byte(s) left, too few for a 12-byte note header`);
    const namesz = r.u32(`${field}.n_namesz`, pos + NHDR.n_namesz[0]);
    const descsz = r.u32(`${field}.n_descsz`, pos + NHDR.n_descsz[0]);
    const type = r.u32(`${field}.n_type`, pos + NHDR.n_type[0]);
    const nameStart = pos + NHDR_SIZE;
    // namesz and descsz are at most 2^32 - 1: these sums stay exact in a double.
    const nameEnd = nameStart + namesz;
    if (nameEnd > end) throw r.error(`${field}.n_namesz`, pos + NHDR.n_namesz[0], `name of ${namesz} bytes runs past the end of the note area (0x${end.toString(16)})`);
    // An empty desc may lose its padding at the very end of the area.
    const descStart = descsz === 0 ? Math.min(alignUp4(nameEnd), end) : alignUp4(nameEnd);
    const descEnd = descStart + descsz;
    if (descEnd > end) {
      throw r.error(`${field}.n_descsz`, pos + NHDR.n_descsz[0], `desc of ${descsz} bytes runs past the end of the note area (0x${end.toString(16)})`);
    }
    const nameBytes = r.bytes.subarray(nameStart, nameEnd);
    const nul = nameBytes.indexOf(0);
    out.push({
      name: latin1(nul < 0 ? nameBytes : nameBytes.subarray(0, nul)),
      type,
      desc: r.bytes.subarray(descStart, descEnd),
      offset: pos,
      descOffset: descStart,
      source,
    });
    budget.count = i + 1;
    // The last note's padding may be cut off by the end of the area.
    pos = Math.max(alignUp4(descEnd), pos + NHDR_SIZE);
  }
  return out;
}

function alignUp4(n: number): number {
  return Math.ceil(n / NOTE_ALIGN) * NOTE_ALIGN;
}

/**
 * An entry point a note names, e.g. a boot protocol's physical entry. The ELF
 * image format takes it over e_entry, after checking it lies in a PT_LOAD.
 */
export interface NoteEntry {
  /** Physical entry address. */
  readonly phys: bigint;
  /** What `Image.metadata.entrySource` says, e.g. `xen-phys32-entry`. */
  readonly source: string;
  /** What it is, for errors, e.g. `PVH entry`. */
  readonly description: string;
  /** Field named in errors about it, e.g. `Xen note PHYS32_ENTRY`. */
  readonly field: string;
  /** File offset of the note, for errors. */
  readonly offset: number;
}

/** What a decoder made of its owner's notes. */
export interface DecodedNotes {
  /** Type name to value, put in `Image.metadata[metadataKey]` when not empty. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly entry?: NoteEntry;
}

/**
 * Decodes the notes of one owner (n_name). Core reads every note generically;
 * what an owner's types mean (a hypervisor's, a boot protocol's) lives with that
 * owner's package, which hands its decoder to `ElfImageFormat`.
 */
export interface ElfNoteDecoder {
  /** n_name of the notes it decodes, e.g. `Xen`. */
  readonly owner: string;
  /** Key of its values in `Image.metadata`. */
  readonly metadataKey: string;
  /** Name of a note type (`PHYS32_ENTRY`...), or `type N`. */
  typeName(type: number): string;
  /** Decode `notes` (all of this owner's); a malformed descriptor is a FormatError from `reader`. */
  decode(reader: ByteReader, notes: readonly ElfNote[]): DecodedNotes;
}
