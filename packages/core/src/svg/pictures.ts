/**
 * What each command draws: a load plan, a parsed image, a built hand-off
 * artefact, turned into the plain {@link MemoryPicture} the renderer takes.
 */
import { ELF_IMAGE_FORMAT } from "../elf/elf-image-format.js";
import type { HandoffArtefact } from "../handoff-artefact.js";
import type { Image } from "../image.js";
import type { LoadPlan } from "../kexec/load-plan.js";
import type { MemoryMap } from "../memory-map.js";
import type { MemoryPicture, PictureRegion } from "./memory-map-svg.js";

/** Adjacent or overlapping ranges merged (a run of list or staging pages is one region). */
function runs(starts: readonly bigint[], size: bigint): { start: bigint; size: bigint }[] {
  const sorted = [...new Set(starts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: { start: bigint; size: bigint }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.start + last.size >= s) {
      const end = s + size > last.start + last.size ? s + size : last.start + last.size;
      out[out.length - 1] = { start: last.start, size: end - last.start };
    } else out.push({ start: s, size });
  }
  return out;
}

/**
 * A plan's picture: its segments, the kexec list pages, the staging pages the
 * list copies from, the swap pages, the machine's memory map behind them and
 * the identity ranges the hand-off page tables map.
 */
export function pictureOfPlan(plan: LoadPlan, memoryMap?: MemoryMap): MemoryPicture {
  const page = plan.relocation.encoding.pageSize;
  const regions: PictureRegion[] = plan.segments.filter((s) => s.memsz > 0n).map((s) => ({ start: s.mem, size: s.memsz, role: s.role, ...(s.name !== undefined && s.name !== s.role ? { name: s.name } : {}) }));
  for (const r of runs(plan.relocation.listPages.map((p) => p.address), page)) regions.push({ ...r, role: "indirection-list" });
  const stagedAway = plan.relocation.staging.flatMap((pages, i) => pages.filter((p, k): p is bigint => p !== undefined && p !== plan.segments[i]!.mem + BigInt(k) * page));
  for (const r of runs(stagedAway, page)) regions.push({ ...r, role: "staging" });
  if (plan.relocation.zeroSource !== undefined) regions.push({ start: plan.relocation.zeroSource, size: page, role: "staging", name: "zero page" });
  const coverage = plan.pageTables ? plan.pageTables.build.mappings.map((m) => ({ start: m.pa, size: m.size })) : undefined;
  return {
    title: `${plan.arch} ${plan.imageFormat} plan: entry ${"0x" + plan.entry.toString(16)}`,
    regions,
    ...(memoryMap ? { memory: memoryMap.ranges } : {}),
    ...(coverage ? { coverage } : {}),
  };
}

/** An image's own segments (an ELF's PT_LOADs) at their physical addresses. */
export function pictureOfImage(image: Image): MemoryPicture {
  const name = image.source.path.split(/[\\/]/).pop() ?? image.source.path;
  return {
    title: `${name}: ${image.format}${image.arch ? ` (${image.arch})` : ""}, entry 0x${image.entry.phys.toString(16)}`,
    regions: image.segments.filter((s) => s.memsz > 0n).map((s) => ({ start: s.mem, size: s.memsz, role: s.role, ...(s.name !== undefined ? { name: s.name } : {}) })),
  };
}

/**
 * A built artefact: what the stub places (segments) and what the loader
 * pre-loads (files with an address: stub, list, page tables, boot data,
 * staging; a PVH ELF's PT_LOADs). Anything loaded inside a segment's range
 * (staged in place) is drawn once, as the segment.
 */
export function pictureOfArtefact(artefact: HandoffArtefact, ram?: { readonly start: bigint; readonly size: bigint }): MemoryPicture {
  const regions: PictureRegion[] = artefact.segments.filter((s) => s.memsz > 0n).map((s) => ({ start: s.mem, size: s.memsz, role: s.role, ...(s.name !== undefined && s.name !== s.role ? { name: s.name } : {}) }));
  const loaded: { start: bigint; size: bigint; role: string; name: string }[] = [];
  for (const f of artefact.files) {
    if (f.addr !== undefined && f.bytes.length > 0) loaded.push({ start: f.addr, size: BigInt(f.bytes.length), role: f.role, name: f.name });
  }
  // A kernel ELF (x86's PVH ELF) carries the stub, the list and the tables as PT_LOADs: name them by the addresses the artefact gives.
  const launch = artefact.launch;
  const elf = launch.kind === "kernel-elf" ? artefact.files.find((f) => f.name === launch.file) : undefined;
  if (elf) {
    const listPage = artefact.list.head & ~0xfffn;
    for (const s of ELF_IMAGE_FORMAT.parse({ path: elf.name, bytes: elf.bytes }).segments) {
      if (s.memsz === 0n) continue;
      const has = (a: bigint | undefined) => a !== undefined && s.mem <= a && a < s.mem + s.memsz;
      const role = has(artefact.stubEntry) ? "stub" : has(listPage) ? "indirection-list" : has(artefact.pageTableRoot) ? "page-tables" : "other";
      loaded.push({ start: s.mem, size: s.memsz, role, name: `${elf.name} ${s.name ?? ""}`.trim() });
    }
  }
  for (const l of loaded) {
    // Staged in place (the loader puts a segment's bytes at its destination): already drawn as the segment.
    if (artefact.segments.some((s) => s.mem <= l.start && l.start + l.size <= s.mem + s.memsz)) continue;
    regions.push(l);
  }
  return {
    title: `${artefact.arch} ${artefact.protocol} hand-off: stub 0x${artefact.stubEntry.toString(16)}, enters 0x${artefact.entry.toString(16)}`,
    regions,
    ...(ram ? { memory: [{ start: ram.start, size: ram.size, type: "ram" as const }] } : {}),
  };
}
