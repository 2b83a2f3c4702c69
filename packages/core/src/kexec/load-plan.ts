import type { Architecture } from "../architecture.js";
import { alignUp, hex, isAligned } from "../bits.js";
import { ValidationError } from "../errors.js";
import { rebaseImage, type Image, type Segment, type SegmentData } from "../image.js";
import { buildIndirectionList, type IndirectionPlan } from "./indirection-list.js";
import { linuxKexecFlags } from "./kexec-segments.js";
import type { MemoryMap } from "../memory-map.js";
import { Placer } from "./placement.js";
import { SegmentSet, linuxKexecRules, type SegmentRules } from "./segment-set.js";
import { planPageTables, regionsFromSegments, type PlannedPageTables } from "../paging/policies.js";
import { pageTableSegment } from "../paging/report.js";
import type { PageTableFormat } from "../paging/types.js";

/** A blob referenced by file range (an initrd is never read into memory). */
export interface FileBlob {
  readonly path: string;
  readonly size: number;
}

/** What {@link planLoad} places: the architecture, the image, the memory map and the optional initrd and command line. */
export interface LoadPlanInput {
  readonly arch: Pick<Architecture, "id" | "pageSize" | "wordBits" | "endianness" | "elfMachine">;
  readonly image: Image;
  readonly memoryMap: MemoryMap;
  readonly initrd?: FileBlob;
  readonly cmdline?: string;
  /** Exclusive bound on the initrd's end. Default: from the image's `initrd_addr_max` metadata (inclusive), else 4 GiB. */
  readonly initrdMaxEnd?: bigint;
  /** Where the initrd goes when a boot protocol has decided already (Arm Linux: above the DTB's room). Default: as high as allowed. */
  readonly initrdAt?: bigint;
  /**
   * Segments a boot protocol has placed (the DTB an Arm Linux boot hands over,
   * /chosen pointing at the initrd): kept at their addresses, before the initrd is placed.
   */
  readonly placedSegments?: readonly Segment[];
  /** Exclusive bound on the command line's end (boot protocols keep 32-bit pointers to it). Default 4 GiB. */
  readonly cmdlineMaxEnd?: bigint;
  /** Emit Xen's IND_ZERO for zero pages instead of copying a shared zero page. */
  readonly useZero?: boolean;
  /**
   * Base for a relocatable image (`image.placement.kind === "relocatable"`). Default:
   * its own base when that is free RAM, else the lowest free base with its alignment.
   */
  readonly imageBase?: bigint;
  /** Validation limits; default Linux kexec_load's (16 segments) inside the memory map. */
  readonly rules?: Partial<SegmentRules>;
  /**
   * Hand-off page tables in this format, identity-mapping exactly the planned
   * segments and the tables' own pages (the `segments` policy), placed below
   * 4 GiB so a 32-bit stub can load the root. Omit for a hand-off with paging off.
   */
  readonly pageTables?: PageTableFormat;
}

/** A segment of the plan with a printable description of where its bytes come from. */
export interface PlannedSegment extends Segment {
  readonly source: string;
}

/** Where every piece of a boot goes in guest memory, with the entry point: the result of {@link planLoad}. */
export interface LoadPlan {
  readonly arch: string;
  readonly imageFormat: string;
  readonly entry: bigint;
  /** Where a relocatable image was put (undefined for an image at fixed addresses). */
  readonly imageBase: bigint | undefined;
  readonly segments: readonly PlannedSegment[];
  readonly segmentSet: SegmentSet;
  /** kexec_load flags for this arch (ELF machine in bits 16..31). */
  readonly kexecFlags: bigint;
  readonly relocation: IndirectionPlan;
  /** The hand-off page tables (also one of `segments`, role `page-tables`), when asked for. */
  readonly pageTables: PlannedPageTables | undefined;
}

const FOUR_GIB = 1n << 32n;

/** `file:PATH@0xOFF+0xLEN`, `bytes:0xLEN`, `zero`. */
export function describeSegmentData(data: SegmentData): string {
  if (data.kind === "file") return `file:${data.path}@${hex(data.offset)}+${hex(data.length)}`;
  if (data.kind === "bytes") return `bytes:${hex(data.bytes.length)}`;
  return "zero";
}

function initrdLimitFromMetadata(image: Image): bigint | undefined {
  for (const key of ["initrd_addr_max", "initrdAddrMax"]) {
    const v = image.metadata[key];
    if (typeof v === "bigint") return v + 1n; // the header field is the last usable byte
    if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v) + 1n;
  }
  return undefined;
}

/**
 * Put a relocatable image (`image.placement.kind === "relocatable"`: arm64
 * Image, position-independent zImage) at `input.imageBase`, or keep it where it
 * is when that is free RAM, or else at the lowest free base with its alignment.
 * Fixed images are returned unchanged.
 */
function placeImage(image: Image, input: LoadPlanInput, placer: Placer, ps: bigint): Image {
  const p = image.placement;
  if (p === undefined || p.kind !== "relocatable") {
    if (input.imageBase !== undefined) throw new ValidationError(`${image.format} image ${image.source.path}`, "has fixed addresses; it cannot be given a base");
    return image;
  }
  if (input.imageBase !== undefined) return rebaseImage(image, input.imageBase);
  const end = image.segments.reduce((e, s) => (s.mem + s.memsz > e ? s.mem + s.memsz : e), p.base);
  const span = alignUp(end - p.base, ps);
  if (p.base !== 0n && span > 0n) {
    const fits = placer.free().some((r) => r.start <= p.base && p.base + span <= r.end);
    if (fits) return image;
  }
  // Bottom-up from the start of RAM, where firmware loaders put kernels; the initrd then goes high.
  const base = placer.find({ label: `${image.format} image`, size: span > 0n ? span : ps, align: p.alignment > ps ? p.alignment : ps, direction: "bottom-up" });
  return rebaseImage(image, base);
}

/**
 * From an image plus initrd and command line to a validated segment set and the
 * relocation list that moves it into place. The image's own segments keep
 * their addresses; the initrd goes as high as allowed (top-down), the command
 * line high below 4 GiB; nothing lands on page 0 or outside RAM. Staging is
 * kexec-style: destinations are taken to be in use at load time, so every
 * buffer page is staged in free RAM that is no one's destination.
 */
export function planLoad(input: LoadPlanInput): LoadPlan {
  const { arch, image, memoryMap } = input;
  const ps = arch.pageSize;
  const placer = new Placer(memoryMap, ps);
  const segments: PlannedSegment[] = [];
  const placed = placeImage(input.image, input, placer, ps);
  // The image's segments and the ones a protocol placed keep their addresses.
  const keep = (s: Segment, what: string) => {
    if (!isAligned(s.mem, ps)) throw new ValidationError(what, `destination ${hex(s.mem)} is not ${hex(ps)}-aligned`);
    const memsz = alignUp(s.memsz, ps);
    segments.push({ ...s, memsz, source: describeSegmentData(s.data) });
    placer.reserve(s.mem, s.mem + memsz);
  };
  placed.segments.forEach((s, i) => keep(s, `${image.source.path}: image segment ${i}${s.name ? ` (${s.name})` : ""}`));
  for (const s of input.placedSegments ?? []) keep(s, `${s.name ?? s.role} segment`);
  // The initrd is placed first so it gets the highest hole, as kexec-tools does.
  if (input.initrd !== undefined) {
    const size = BigInt(input.initrd.size);
    if (size === 0n) throw new ValidationError(`initrd ${input.initrd.path}`, "empty file");
    const maxEnd = input.initrdMaxEnd ?? initrdLimitFromMetadata(image) ?? FOUR_GIB;
    const mem = input.initrdAt ?? placer.place({ label: `initrd ${input.initrd.path}`, size, maxEnd, direction: "top-down" });
    if (input.initrdAt !== undefined) {
      if (!isAligned(mem, ps)) throw new ValidationError(`initrd ${input.initrd.path}`, `destination ${hex(mem)} is not ${hex(ps)}-aligned`);
      if (mem + size > maxEnd) throw new ValidationError(`initrd ${input.initrd.path}`, `ends at ${hex(mem + size)}, past the limit ${hex(maxEnd)}`);
      placer.reserve(mem, mem + alignUp(size, ps));
    }
    const data: SegmentData = { kind: "file", path: input.initrd.path, offset: 0, length: input.initrd.size };
    segments.push({ data, bufsz: size, mem, memsz: alignUp(size, ps), role: "initrd", name: "initrd", source: describeSegmentData(data) });
  }
  if (input.cmdline !== undefined) {
    const bytes = new TextEncoder().encode(`${input.cmdline}\0`);
    const size = BigInt(bytes.length);
    const mem = placer.place({ label: "command line", size, maxEnd: input.cmdlineMaxEnd ?? FOUR_GIB, direction: "top-down" });
    segments.push({ data: { kind: "bytes", bytes }, bufsz: size, mem, memsz: alignUp(size, ps), role: "cmdline", name: "cmdline", source: describeSegmentData({ kind: "bytes", bytes }) });
  }
  let pageTables: PlannedPageTables | undefined;
  if (input.pageTables !== undefined) {
    pageTables = placePageTables(input.pageTables, segments, placer);
    const data: SegmentData = { kind: "bytes", bytes: pageTables.build.segment.bytes };
    segments.push({ ...pageTableSegment(pageTables.build), memsz: alignUp(pageTables.build.tableBytes, ps), name: `${input.pageTables.id} tables`, source: describeSegmentData(data) });
  }
  const segmentSet = SegmentSet.validate(segments, { ...linuxKexecRules(ps, { memoryMap }), ...input.rules });
  const used = segments.map((s) => ({ start: s.mem, end: s.mem + s.memsz }));
  const relocation = buildIndirectionList(
    segments.map((s) => ({
      mem: s.mem,
      memsz: s.memsz,
      bufsz: s.bufsz,
      label: s.name ?? s.role,
      ...(s.data.kind === "zero" ? { isZeroPage: () => true } : {}),
    })),
    {
      pageSize: ps,
      wordBytes: arch.wordBits === 64 ? 8 : 4,
      endianness: arch.endianness[0] ?? "little",
      useZero: input.useZero ?? false,
      free: memoryMap.freeRam(used),
    },
  );
  return {
    arch: arch.id,
    imageFormat: image.format,
    entry: placed.entry.phys,
    imageBase: placed.placement?.kind === "relocatable" ? placed.placement.base : undefined,
    segments,
    segmentSet,
    kexecFlags: linuxKexecFlags({ elfMachine: arch.elfMachine }),
    relocation,
    pageTables,
  };
}

/**
 * Identity tables for the segments: the size is learnt from a first build (it
 * depends on the mappings, not on where the tables sit), the space is taken
 * top-down below 4 GiB, and the tables are built again there. Mapping the
 * tables' own pages can add at most a few tables, hence the slack.
 */
function placePageTables(format: PageTableFormat, segments: readonly Segment[], placer: Placer): PlannedPageTables {
  const policy = { kind: "segments" as const, regions: regionsFromSegments(segments) };
  const [firstFree] = placer.free();
  if (!firstFree) throw new ValidationError(`${format.id} tables`, "no free RAM left for the page tables");
  // The root table may need more than page alignment (Arm short-descriptor L1: 16 KiB).
  const rootAlign = format.geometry.levels[0]!.tableAlign > format.pageSizes[0]! ? format.geometry.levels[0]!.tableAlign : format.pageSizes[0]!;
  const trial = planPageTables(format, policy, { tableBase: alignUp(firstFree.start, rootAlign) });
  const slack = 4n * format.pageSizes[0]!;
  const size = alignUp(trial.build.tableBytes, format.pageSizes[0]!) + slack;
  const base = placer.place({ label: `${format.id} page tables`, size, align: rootAlign, maxEnd: FOUR_GIB, direction: "top-down" });
  const planned = planPageTables(format, policy, { tableBase: base });
  if (planned.build.tableBytes > size) throw new ValidationError(`${format.id} tables`, `grew past the ${hex(size)} bytes reserved for them`);
  return planned;
}
