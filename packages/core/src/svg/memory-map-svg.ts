/**
 * A physical memory map drawn as SVG: one address column (high addresses at the
 * top, as boot-protocol documents draw it), placed regions coloured by role,
 * memory types behind them, page-table coverage beside them, overlaps in red,
 * and large empty stretches cut out with a broken axis so that a 4 KiB command
 * line and a 30 MiB kernel are both visible in the same picture.
 *
 * Pure: a string out of plain data, no DOM and no `node:*`, so the CLI and the
 * browser page draw the same picture. Every drawn element carries `class` and
 * `data-*` attributes (role, start, end) so tests and scripts can read the
 * picture back without trusting pixel positions.
 */
import { checkedAdd64, hex } from "../bits.js";
import { ValidationError } from "../errors.js";
import type { MemoryType } from "../memory-map.js";

/** One placed thing: a segment, a list page, a boot-data blob. */
export interface PictureRegion {
  readonly start: bigint;
  readonly size: bigint;
  /** What it is for (`kernel`, `initrd`, `page-tables`...): picks the colour and leads the label. */
  readonly role: string;
  /** Extra words after the role (`PT_LOAD[1]`, a file name). */
  readonly name?: string;
}

/** A range of the machine's memory map drawn behind the regions. */
export interface PictureMemory {
  readonly start: bigint;
  readonly size: bigint;
  readonly type: MemoryType;
}

/** What to draw. */
export interface MemoryPicture {
  readonly title: string;
  readonly regions: readonly PictureRegion[];
  /** The machine's memory map; without it only the regions are drawn. */
  readonly memory?: readonly PictureMemory[];
  /** Physical ranges the hand-off page tables map (drawn as a bar beside the column). */
  readonly coverage?: readonly { readonly start: bigint; readonly size: bigint }[];
}

/** Layout knobs; the defaults suit a README and a browser page. */
export interface MemoryPictureOptions {
  /** Pixel height of the largest region (the to-scale unit). Default 180. */
  readonly largestRegionHeight?: number;
  /** An empty stretch larger than this many times the largest region is cut out. Default 1. */
  readonly breakFactor?: number;
}

/** Most regions one picture draws (a plan has at most tens; the bound keeps hostile input cheap). */
export const MAX_PICTURE_REGIONS = 2048;

const WIDTH = 780;
const TOP = 56;
const COLUMN_X = 190;
const COLUMN_W = 170;
const COVERAGE_X = COLUMN_X - 16;
const COVERAGE_W = 10;
const LABEL_X = COLUMN_X + COLUMN_W + 40;
const LABEL_H = 30;
const GAP_H = 44;
/** Least height of a stretch holding a region: a tick label's height plus a little, so no address label collides. */
const MIN_H = 14;
const TICK_H = 12;

/** Fill colours by role (colour-blind-safe Tableau 10), the fallback for roles not listed. */
const ROLE_COLOURS: Readonly<Record<string, string>> = {
  kernel: "#4e79a7",
  setup: "#a0cbe8",
  initrd: "#f28e2b",
  dtb: "#59a14f",
  cmdline: "#edc948",
  "boot-info": "#b07aa1",
  "page-tables": "#76b7b2",
  stub: "#9c755f",
  purgatory: "#9c755f",
  "indirection-list": "#ff9da7",
  staging: "#d4c7bf",
  swap: "#e15759",
};
const OTHER_COLOUR = "#bab0ac";

/** Memory types: RAM plain, firmware regions tinted, reserved hatched. */
const MEMORY_FILL: Readonly<Record<MemoryType, string>> = {
  ram: "#f5f7fa",
  reserved: "url(#hatch-reserved)",
  acpi: "#fde9c9",
  nvs: "#f8d3a8",
  unusable: "#d0d0d0",
  persistent: "#e3eefc",
  device: "#e6e0f0",
};

/** Colour of a role's rectangle. */
export function roleColour(role: string): string {
  return ROLE_COLOURS[role] ?? OTHER_COLOUR;
}

/** `4 KiB`, `30 MiB`, `1.5 GiB`, `123 B`: binary units, one decimal only when it is not whole. */
export function formatSize(bytes: bigint): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let unit = 0;
  while (unit < units.length - 1 && bytes >= 1n << BigInt(10 * (unit + 1))) unit++;
  const whole = bytes >> BigInt(10 * unit);
  const tenths = ((bytes - (whole << BigInt(10 * unit))) * 10n) >> BigInt(10 * unit);
  return tenths === 0n ? `${whole} ${units[unit]}` : `${whole}.${tenths} ${units[unit]}`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

/** An elementary stretch of the axis between two consecutive boundaries. */
interface Interval extends Range {
  readonly broken: boolean;
  readonly height: number;
  /** y of the interval's bottom (its lower address) and top, in picture pixels. */
  yBottom: number;
  yTop: number;
}

function checkedRanges<T extends { start: bigint; size: bigint }>(items: readonly T[], what: string): (T & Range)[] {
  return items.map((item, i) => {
    if (item.size <= 0n) throw new ValidationError(`memory picture ${what}[${i}]`, `size ${hex(item.size)} is not positive`);
    if (item.start < 0n) throw new ValidationError(`memory picture ${what}[${i}]`, `start ${hex(item.start)} is negative`);
    return { ...item, end: checkedAdd64(item.start, item.size, `memory picture ${what}[${i}]`) };
  });
}

const overlaps = (a: Range, b: Range) => a.start < b.end && b.start < a.end;

/**
 * Draw `picture` as a standalone SVG document. Throws a ValidationError for
 * empty or wrapping ranges and for more than {@link MAX_PICTURE_REGIONS}.
 */
export function renderMemoryMapSvg(picture: MemoryPicture, options: MemoryPictureOptions = {}): string {
  const total = picture.regions.length + (picture.memory?.length ?? 0) + (picture.coverage?.length ?? 0);
  if (total > MAX_PICTURE_REGIONS) throw new ValidationError("memory picture", `${total} ranges, more than the ${MAX_PICTURE_REGIONS} one picture draws`);
  const regions = checkedRanges(picture.regions, "region").sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : 1));
  const memory = checkedRanges(picture.memory ?? [], "memory");
  const coverage = checkedRanges(picture.coverage ?? [], "coverage");

  // Boundaries of everything drawn; the axis runs from the lowest to the highest.
  const points = new Set<bigint>();
  for (const r of [...regions, ...memory, ...coverage]) points.add(r.start).add(r.end);
  const bounds = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const largest = [...regions, ...(regions.length ? [] : memory)].reduce((m, r) => (r.end - r.start > m ? r.end - r.start : m), 1n);
  const unitPx = options.largestRegionHeight ?? 180;
  const breakAbove = largest * BigInt(Math.max(1, Math.round(options.breakFactor ?? 1)));
  const occupied = [...regions, ...coverage];

  // Heights bottom-up; the scale is exact (bigint) up to the pixel rounding.
  const intervals: Interval[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    const range = { start, end };
    const used = occupied.some((r) => overlaps(r, range));
    const broken = !used && end - start > breakAbove;
    const scaled = Number(((end - start) * BigInt(unitPx) * 16n) / largest) / 16;
    intervals.push({ start, end, broken, height: broken ? GAP_H : Math.max(used ? MIN_H : TICK_H, Math.min(scaled, unitPx * 2)), yBottom: 0, yTop: 0 });
  }
  const columnHeight = intervals.reduce((h, iv) => h + iv.height, 0);
  let y = TOP + columnHeight;
  for (const iv of intervals) {
    iv.yBottom = y;
    y -= iv.height;
    iv.yTop = y;
  }
  /** y of an address that is a boundary (or inside an interval: linear within it). */
  const yOf = (address: bigint): number => {
    for (const iv of intervals) {
      if (address === iv.start) return iv.yBottom;
      if (address > iv.start && address <= iv.end) {
        return iv.yBottom - (Number(((address - iv.start) * 1024n) / (iv.end - iv.start)) / 1024) * iv.height;
      }
    }
    return TOP + columnHeight;
  };

  const body: string[] = [];
  // Memory types behind everything; holes in the map (no RAM, no device) left blank and dashed.
  for (const m of memory) {
    const top = yOf(m.end);
    body.push(
      `<rect class="memory" data-type="${m.type}" data-start="${hex(m.start)}" data-end="${hex(m.end)}" x="${COLUMN_X}" y="${top.toFixed(1)}" width="${COLUMN_W}" height="${(yOf(m.start) - top).toFixed(1)}" fill="${MEMORY_FILL[m.type]}" stroke="#8a94a6" stroke-width="0.5"><title>${m.type} ${hex(m.start)}–${hex(m.end)} (${formatSize(m.end - m.start)})</title></rect>`,
    );
    if (m.type !== "ram" && !regions.some((r) => overlaps(r, m))) {
      body.push(`<text class="memory-label" x="${COLUMN_X + COLUMN_W / 2}" y="${((top + yOf(m.start)) / 2 + 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#6b4e16">${m.type} ${formatSize(m.end - m.start)}</text>`);
    }
  }
  // Page-table coverage: a bar left of the column wherever the tables map.
  for (const c of coverage) {
    const top = yOf(c.end);
    body.push(
      `<rect class="coverage" data-start="${hex(c.start)}" data-end="${hex(c.end)}" x="${COVERAGE_X}" y="${top.toFixed(1)}" width="${COVERAGE_W}" height="${Math.max(1, yOf(c.start) - top).toFixed(1)}" fill="#2ca25f"><title>identity-mapped ${hex(c.start)}–${hex(c.end)}</title></rect>`,
    );
  }
  // Regions, then overlaps on top of them.
  regions.forEach((r, i) => {
    const top = yOf(r.end);
    body.push(
      `<rect class="region" data-index="${i}" data-role="${escapeXml(r.role)}" data-start="${hex(r.start)}" data-end="${hex(r.end)}" x="${COLUMN_X + 6}" y="${top.toFixed(1)}" width="${COLUMN_W - 12}" height="${(yOf(r.start) - top).toFixed(1)}" fill="${roleColour(r.role)}" fill-opacity="0.9" stroke="#1f2937" stroke-width="0.8"><title>${escapeXml(regionTitle(r))}</title></rect>`,
    );
  });
  const overlapPairs: [number, number, Range][] = [];
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length && regions[j]!.start < regions[i]!.end; j++) {
      const a = regions[i]!;
      const b = regions[j]!;
      const both = { start: a.start > b.start ? a.start : b.start, end: a.end < b.end ? a.end : b.end };
      overlapPairs.push([i, j, both]);
      const top = yOf(both.end);
      body.push(
        `<rect class="overlap" data-a="${i}" data-b="${j}" data-start="${hex(both.start)}" data-end="${hex(both.end)}" x="${COLUMN_X + 2}" y="${top.toFixed(1)}" width="${COLUMN_W - 4}" height="${Math.max(2, yOf(both.start) - top).toFixed(1)}" fill="url(#hatch-overlap)" stroke="#d62728" stroke-width="2"><title>overlap of ${escapeXml(a.role)} and ${escapeXml(b.role)}</title></rect>`,
      );
    }
  }
  // Broken axis: the column is cut with two zigzags and the stretch is named.
  for (const iv of intervals.filter((v) => v.broken)) {
    const a = iv.yTop + 7;
    const b = iv.yBottom - 7;
    const zig = (yy: number) => {
      const pts: string[] = [];
      for (let x = COLUMN_X - 4, k = 0; x <= COLUMN_X + COLUMN_W + 4; x += 10, k++) pts.push(`${x},${(yy + (k % 2 ? -3 : 3)).toFixed(1)}`);
      return pts.join(" ");
    };
    const inMemory = memory.find((m) => m.start <= iv.start && iv.end <= m.end);
    const what = inMemory ? (inMemory.type === "ram" ? "free RAM" : inMemory.type) : memory.length ? "no memory" : "unused";
    body.push(
      `<g class="gap" data-start="${hex(iv.start)}" data-end="${hex(iv.end)}" data-size="${hex(iv.end - iv.start)}">` +
        `<rect x="${COLUMN_X - 6}" y="${a.toFixed(1)}" width="${COLUMN_W + 12}" height="${(b - a).toFixed(1)}" fill="#ffffff"/>` +
        `<polyline points="${zig(a)}" fill="none" stroke="#4b5563" stroke-width="1.2"/>` +
        `<polyline points="${zig(b)}" fill="none" stroke="#4b5563" stroke-width="1.2"/>` +
        `<text x="${COLUMN_X + COLUMN_W / 2}" y="${((a + b) / 2 + 4).toFixed(1)}" text-anchor="middle" font-size="11" fill="#374151">${formatSize(iv.end - iv.start)} ${what} (not to scale)</text></g>`,
    );
  }
  // Address ticks on the left, top (highest) first; every stretch is at least TICK_H tall, so they rarely need nudging.
  let lastTick = Number.NEGATIVE_INFINITY;
  for (const address of [...bounds].reverse()) {
    const yy = yOf(address);
    const ty = Math.max(yy + 4, lastTick + TICK_H);
    lastTick = ty;
    body.push(`<line class="tick" x1="${COVERAGE_X - 6}" x2="${COLUMN_X}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="#9ca3af" stroke-width="0.6"/>`);
    body.push(`<text class="address" x="${COVERAGE_X - 10}" y="${ty.toFixed(1)}" text-anchor="end" font-size="10" font-family="ui-monospace, Menlo, Consolas, monospace" fill="#374151">${hex(address)}</text>`);
  }
  // Labels on the right, top to bottom (highest address first), pushed down to stay apart.
  const labels: { y: number; anchor: number; lines: [string, string]; cls: string; attrs: string; colour: string }[] = [];
  regions.forEach((r, i) => {
    labels.push({ y: 0, anchor: (yOf(r.start) + yOf(r.end)) / 2, lines: [r.name ? `${r.role} · ${r.name}` : r.role, `${hex(r.start)}–${hex(r.end)} · ${formatSize(r.end - r.start)}`], cls: "label", attrs: `data-index="${i}" data-role="${escapeXml(r.role)}"`, colour: roleColour(r.role) });
  });
  for (const [i, j, both] of overlapPairs) {
    labels.push({ y: 0, anchor: (yOf(both.start) + yOf(both.end)) / 2, lines: [`OVERLAP: ${regions[i]!.role} × ${regions[j]!.role}`, `${hex(both.start)}–${hex(both.end)} · ${formatSize(both.end - both.start)}`], cls: "label overlap-label", attrs: `data-a="${i}" data-b="${j}"`, colour: "#d62728" });
  }
  labels.sort((a, b) => a.anchor - b.anchor);
  let next = TOP - 4;
  for (const l of labels) {
    l.y = Math.max(l.anchor - LABEL_H / 2 + 10, next);
    next = l.y + LABEL_H;
  }
  for (const l of labels) {
    body.push(
      `<g class="${l.cls}" ${l.attrs}>` +
        `<polyline points="${COLUMN_X + COLUMN_W - 6},${l.anchor.toFixed(1)} ${COLUMN_X + COLUMN_W + 10},${l.anchor.toFixed(1)} ${LABEL_X - 6},${(l.y - 4).toFixed(1)}" fill="none" stroke="${l.colour}" stroke-width="1"/>` +
        `<rect x="${LABEL_X - 4}" y="${(l.y - 11).toFixed(1)}" width="8" height="8" fill="${l.colour}"/>` +
        `<text x="${LABEL_X + 8}" y="${l.y.toFixed(1)}" font-size="12" font-weight="600" fill="#111827">${escapeXml(l.lines[0])}</text>` +
        `<text x="${LABEL_X + 8}" y="${(l.y + 13).toFixed(1)}" font-size="10.5" font-family="ui-monospace, Menlo, Consolas, monospace" fill="#374151">${escapeXml(l.lines[1])}</text></g>`,
    );
  }
  const contentBottom = Math.max(TOP + columnHeight, next);
  const legend = legendItems(regions, memory, coverage.length > 0);
  const legendTop = contentBottom + 24;
  const perRow = 4;
  legend.forEach((item, k) => {
    const lx = 20 + (k % perRow) * 190;
    const ly = legendTop + Math.floor(k / perRow) * 18;
    body.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${item.fill}" stroke="#6b7280" stroke-width="0.5"/><text x="${lx + 18}" y="${ly}" font-size="11" fill="#374151">${escapeXml(item.text)}</text>`);
  });
  const legendRows = Math.ceil(legend.length / perRow);
  const noteY = legendTop + legendRows * 18 + 8;
  const height = Math.ceil(noteY + 12);
  const title = escapeXml(picture.title);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="handoff-memory-map" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" role="img" aria-label="${title}">`,
    `<title>${title}</title>`,
    `<defs><pattern id="hatch-reserved" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eceff3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9aa3b2" stroke-width="2"/></pattern>` +
      `<pattern id="hatch-overlap" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#d62728" stroke-width="2.5"/></pattern></defs>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="20" y="26" font-size="15" font-weight="700" fill="#111827">${title}</text>`,
    `<text x="20" y="43" font-size="11" fill="#4b5563">physical addresses, high at the top; ranges are [start, end); to scale except where the axis is broken</text>`,
    ...body,
    `<text x="20" y="${noteY}" font-size="10" fill="#6b7280">${regions.length} region(s), ${overlapPairs.length} overlap(s), ${intervals.filter((v) => v.broken).length} broken stretch(es)${coverage.length ? "; green bar: identity-mapped by the hand-off page tables" : ""}</text>`,
    `</svg>`,
    "",
  ].join("\n");
}

function regionTitle(r: PictureRegion & Range): string {
  return `${r.role}${r.name ? ` (${r.name})` : ""} ${hex(r.start)}–${hex(r.end)}, ${formatSize(r.end - r.start)}`;
}

function legendItems(regions: readonly PictureRegion[], memory: readonly PictureMemory[], coverage: boolean): { fill: string; text: string }[] {
  const items: { fill: string; text: string }[] = [];
  for (const role of new Set(regions.map((r) => r.role))) items.push({ fill: roleColour(role), text: role });
  for (const type of new Set(memory.map((m) => m.type))) items.push({ fill: MEMORY_FILL[type], text: type === "ram" ? "RAM" : `${type} (memory map)` });
  if (coverage) items.push({ fill: "#2ca25f", text: "page-table coverage" });
  return items;
}
