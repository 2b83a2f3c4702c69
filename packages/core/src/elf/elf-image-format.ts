/**
 * ELF executables (kernels, PVH images, hypervisors) as an `Image`: one segment
 * per non-empty PT_LOAD, referencing the file range (no copy), BSS as zero fill,
 * entry from a note decoder's entry when one is given and finds it (a
 * hypervisor's or boot protocol's note, e.g. Xen's PVH entry), else from e_entry.
 */
import type { Image, Segment } from "../image.js";
import type { ImageFormat, ImageInput, ParseLimits } from "../image-format.js";
import { ElfFile } from "./elf-file.js";
import { ET_DYN, ET_EXEC, ET_REL, elfTypeName, hasElfMagic } from "./elf-header.js";
import type { ElfNote, ElfNoteDecoder, NoteEntry } from "./notes.js";
import {
  PT_INTERP,
  PT_LOAD,
  programHeaderFieldOffset,
  programHeaderTypeName,
  segmentFlagsString,
  type ProgramHeader,
} from "./program-headers.js";
import { multibootSummary } from "../multiboot/multiboot.js";

/** How to turn program header addresses into physical load addresses. */
export interface ElfImageOptions {
  /**
   * Subtracted from p_paddr to get the physical address, for kernels whose
   * p_paddr holds a link-time (virtual) address, like Xen's ELF_PADDR_OFFSET.
   * Default 0: p_paddr is physical.
   */
  readonly paddrOffset?: bigint;
  /** Decoders of owners' notes (their values go into the metadata; the first entry one names wins). Default none. */
  readonly noteDecoders?: readonly ElfNoteDecoder[];
}

/** A PT_LOAD after translation, kept for entry lookups. */
interface LoadRange {
  readonly ph: ProgramHeader;
  readonly mem: bigint;
}

/** Where the entry point was found: e_entry (as a virtual or a physical address) or a note decoder's `NoteEntry.source`. */
export type EntrySource = "e_entry-virtual" | "e_entry-physical" | (string & {});

export class ElfImageFormat implements ImageFormat {
  readonly id = "elf";
  readonly description = "ELF32/ELF64 executable (kernel, hypervisor), either byte order";

  constructor(readonly options: ElfImageOptions = {}) {}

  probe(input: ImageInput): boolean {
    return hasElfMagic(input.bytes);
  }

  parse(input: ImageInput, limits: Partial<ParseLimits> = {}): Image {
    return this.parseElf(ElfFile.parse(input, limits));
  }

  /** The Image of an already parsed ELF file. */
  parseElf(elf: ElfFile): Image {
    const { header, reader: r } = elf;
    const bits = header.elfClass;
    const typeField = 16;
    if (header.type === ET_REL) {
      throw r.error("e_type", typeField, "ET_REL is a relocatable object, not a loadable image (link it with `handoff link`)");
    }
    if (header.type !== ET_EXEC && header.type !== ET_DYN) {
      throw r.error("e_type", typeField, `${elfTypeName(header.type)} is not a loadable image (expected ET_EXEC or ET_DYN)`);
    }
    const paddrOffset = this.options.paddrOffset ?? 0n;
    const space = 1n << BigInt(bits);
    const loads: LoadRange[] = [];
    for (const ph of elf.programHeaders) {
      if (ph.type === PT_INTERP) {
        throw r.error(`phdr[${ph.index}].p_type`, programHeaderFieldOffset(ph, bits, "p_type"), "PT_INTERP: a kernel has no program interpreter (this is a user-space program)");
      }
      if (ph.type !== PT_LOAD || ph.memsz === 0n) continue; // empty segments are never mapped
      const mem = ph.paddr - paddrOffset;
      if (mem < 0n) {
        throw r.error(`phdr[${ph.index}].p_paddr`, programHeaderFieldOffset(ph, bits, "p_paddr"), `p_paddr 0x${ph.paddr.toString(16)} is below the paddr offset 0x${paddrOffset.toString(16)}`);
      }
      if (mem + ph.memsz > space) {
        throw r.error(`phdr[${ph.index}].p_paddr`, programHeaderFieldOffset(ph, bits, "p_paddr"), `load address 0x${mem.toString(16)} + p_memsz 0x${ph.memsz.toString(16)} wraps past 2^${bits}`);
      }
      loads.push({ ph, mem });
    }
    checkNoOverlap(elf, loads);

    const notes = elf.notes();
    const decoders = this.options.noteDecoders ?? [];
    const decoded = decoders.map((d) => ({ decoder: d, ...d.decode(r, notes.filter((n) => n.name === d.owner)) }));
    const { entry, entrySource } = resolveEntry(elf, loads, decoded.find((d) => d.entry)?.entry);

    const segments: Segment[] = loads.map(({ ph, mem }) => ({
      data: ph.filesz > 0n ? { kind: "file", path: elf.path, offset: Number(ph.offset), length: Number(ph.filesz) } : { kind: "zero" },
      bufsz: ph.filesz,
      mem,
      memsz: ph.memsz,
      role: "kernel",
      ...(ph.vaddr !== mem ? { vaddr: ph.vaddr } : {}),
      name: `PT_LOAD[${ph.index}]`,
    }));

    return {
      format: elf.format,
      // Which architecture e_machine is, the registered architectures say (resolveImageArchitecture), not core.
      arch: undefined,
      machine: { scheme: "elf", value: header.machine },
      entry,
      segments,
      source: { path: elf.path, size: elf.bytes.length },
      metadata: {
        elfClass: header.elfClass,
        endianness: header.endianness,
        type: elfTypeName(header.type),
        machine: header.machine,
        osabi: header.osabi,
        flags: header.flags,
        e_entry: header.entry,
        entrySource,
        paddrOffset,
        ...multibootField(elf.bytes),
        programHeaders: elf.programHeaders.map((ph) => ({
          type: programHeaderTypeName(ph.type),
          flags: segmentFlagsString(ph.flags),
          offset: ph.offset,
          vaddr: ph.vaddr,
          paddr: ph.paddr,
          filesz: ph.filesz,
          memsz: ph.memsz,
          align: ph.align,
        })),
        sectionCount: elf.sections.length,
        notes: notes.map((n) => describeNote(n, decoders)),
        ...Object.fromEntries(decoded.filter((d) => Object.keys(d.values).length > 0).map((d) => [d.decoder.metadataKey, d.values])),
      },
    };
  }
}

/** The default ELF format: p_paddr is physical. */
export const ELF_IMAGE_FORMAT = new ElfImageFormat();

function describeNote(n: ElfNote, decoders: readonly ElfNoteDecoder[]) {
  return {
    name: n.name,
    type: n.type,
    typeName: decoders.find((d) => d.owner === n.name)?.typeName(n.type) ?? "",
    descsz: n.desc.length,
    offset: n.offset,
    source: n.source,
  };
}

function checkNoOverlap(elf: ElfFile, loads: readonly LoadRange[]): void {
  const sorted = [...loads].sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.mem < prev.mem + prev.ph.memsz) {
      throw elf.reader.error(
        `phdr[${cur.ph.index}].p_paddr`,
        programHeaderFieldOffset(cur.ph, elf.header.elfClass, "p_paddr"),
        `PT_LOAD[${cur.ph.index}] at 0x${cur.mem.toString(16)} overlaps PT_LOAD[${prev.ph.index}] [0x${prev.mem.toString(16)}, 0x${(prev.mem + prev.ph.memsz).toString(16)})`,
      );
    }
  }
}

function resolveEntry(elf: ElfFile, loads: readonly LoadRange[], noted: NoteEntry | undefined): { entry: Image["entry"]; entrySource: EntrySource } {
  const r = elf.reader;
  const e = elf.header.entry;
  const entryField = 24;
  const byVirt = loads.find(({ ph }) => e >= ph.vaddr && e < ph.vaddr + ph.memsz);
  const byPhys = loads.find(({ ph }) => e >= ph.paddr && e < ph.paddr + ph.memsz);
  if (!byVirt && !byPhys) {
    throw r.error("e_entry", entryField, `entry 0x${e.toString(16)} is outside every PT_LOAD`);
  }
  // e_entry is a link-time (virtual) address; some kernels (Linux x86 vmlinux) put the physical one there.
  const virt = e;
  const physFromEntry = byVirt ? byVirt.mem + (e - byVirt.ph.vaddr) : byPhys!.mem + (e - byPhys!.ph.paddr);
  if (noted !== undefined) {
    const p = noted.phys;
    if (!loads.some(({ mem, ph }) => p >= mem && p < mem + ph.memsz)) {
      throw r.error(noted.field, noted.offset, `${noted.description} 0x${p.toString(16)} is outside every PT_LOAD`);
    }
    return { entry: { phys: p, virt }, entrySource: noted.source };
  }
  return { entry: { phys: physFromEntry, virt }, entrySource: byVirt ? "e_entry-virtual" : "e_entry-physical" };
}

/** Multiboot v1/v2 headers, when the ELF carries them (Xen, GRUB-loaded kernels). */
function multibootField(bytes: Uint8Array): { multiboot?: Record<string, unknown> } {
  const summary = multibootSummary(bytes);
  return summary ? { multiboot: summary } : {};
}
