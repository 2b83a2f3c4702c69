import { checkedAdd64, hex, isAligned } from "../bits.js";
import { ValidationError } from "../errors.js";
import { PlacedMemory } from "./memory.js";
import { DEFAULT_MAX_TABLE_BYTES } from "./types.js";
import type {
  LeafCount,
  Mapping,
  MappingAttributes,
  PageTableBuild,
  PageTableBuildOptions,
  PageTableGeometry,
  TranslationRegisters,
} from "./types.js";

/**
 * What an architecture supplies to the generic radix-tree builder: the level
 * shapes and the descriptor encoders. The builder ORs the page/table address,
 * shifted right by `outputAddressShift` (0 where the address sits in the
 * descriptor at its own bit positions, as on x86 and Arm), into the encoder's
 * attribute bits.
 */
export interface RadixFormatSpec {
  readonly id: string;
  readonly geometry: PageTableGeometry;
  /** Output (physical) address bits the descriptors can hold. */
  readonly physicalAddressBits: number;
  /**
   * Right shift from a physical address to its descriptor field (default 0).
   * RISC-V Sv39/Sv48 hold PPN = PA >> 12 at bit 10, i.e. PA >> 2.
   */
  readonly outputAddressShift?: number;
  /** Tables must lie below this physical address (e.g. 4 GiB where CR3/TTBR is 32 bits). */
  readonly tableLimit: bigint;
  /** False where the format cannot forbid execution. */
  readonly noExecute: boolean;
  /**
   * The VA as an index into the tables' address space [0, 2^vaBits), or
   * undefined when the VA is not translated by these tables (non-canonical...).
   */
  normaliseVa(va: bigint): bigint | undefined;
  /** Descriptor bits (address excluded) of a table entry pointing at a next-level table. */
  tableDescriptor(level: number): bigint;
  /** Descriptor bits (address excluded) of a leaf mapping `size` bytes at `level`. */
  leafDescriptor(level: number, size: bigint, attributes: Required<MappingAttributes>): bigint;
  /** Register values and notes to go with tables rooted at `root`; `maxPhysicalEnd` is the highest byte end the tables or mappings reach. */
  registers(root: bigint, maxPhysicalEnd: bigint): { registers: TranslationRegisters; notes: string[] };
}

interface Table {
  readonly level: number;
  readonly pa: bigint;
  /** Byte offset of the table in the segment buffer. */
  readonly offset: number;
}

/** A mapping after merging and splitting, as the builder lays it into tables. */
export interface NormalisedMapping {
  readonly index: bigint; // VA in table index space
  readonly va: bigint;
  readonly pa: bigint;
  readonly size: bigint;
  readonly attributes: Required<MappingAttributes>;
}

const TWO_32 = 4294967296;

function sameAttributes(a: Required<MappingAttributes>, b: Required<MappingAttributes>): boolean {
  return a.writable === b.writable && a.executable === b.executable && a.user === b.user && a.memoryType === b.memoryType;
}

/**
 * Validate mappings for `spec`: aligned to the smallest page, no wrap, within
 * the VA and PA space, no overlapping VAs, no device memory executable, and
 * no physical page mapped both as normal and as device memory (mismatched
 * aliases are what the hand-off rules forbid).
 */
export function normaliseMappings(spec: RadixFormatSpec, mappings: readonly Mapping[], options: PageTableBuildOptions): NormalisedMapping[] {
  const geometry = spec.geometry;
  const leafLevel = geometry.levels[geometry.levels.length - 1]!;
  const granule = 1n << BigInt(leafLevel.shift);
  const paLimit = 1n << BigInt(spec.physicalAddressBits);
  const out: NormalisedMapping[] = mappings.map((m, i) => {
    const subject = `${spec.id} mapping[${i}]`;
    if (m.size <= 0n) throw new ValidationError(subject, "empty mapping");
    for (const [name, v] of [["va", m.va], ["pa", m.pa], ["size", m.size]] as const) {
      if (!isAligned(v, granule) || v < 0n) throw new ValidationError(subject, `${name} ${hex(v)} is not a multiple of the ${hex(granule)} page size`);
    }
    const vaEnd = checkedAdd64(m.va, m.size, subject);
    const paEnd = checkedAdd64(m.pa, m.size, subject);
    if (paEnd > paLimit) throw new ValidationError(subject, `physical range ends at ${hex(paEnd)}, beyond the format's ${spec.physicalAddressBits}-bit output addresses`);
    const index = spec.normaliseVa(m.va);
    const lastIndex = spec.normaliseVa(vaEnd - 1n);
    if (index === undefined || lastIndex === undefined || lastIndex - index !== m.size - 1n) {
      throw new ValidationError(subject, `virtual range ${hex(m.va)}..${hex(vaEnd)} is not translated by ${spec.id} tables (${geometry.vaBits}-bit VA)`);
    }
    if (index === 0n && !options.mapPageZero) throw new ValidationError(subject, "maps virtual page 0, which stays unmapped unless asked for (mapPageZero, --page-zero)");
    const a = m.attributes;
    if (a.memoryType !== "normal" && a.memoryType !== "device") throw new ValidationError(subject, `unknown memory type '${String(a.memoryType)}'`);
    if (a.memoryType === "device" && a.executable) throw new ValidationError(subject, "device memory is never executable");
    const attributes: Required<MappingAttributes> = {
      writable: a.writable,
      executable: spec.noExecute ? a.executable : true,
      user: a.user === true,
      memoryType: a.memoryType,
    };
    return { index, va: m.va, pa: m.pa, size: m.size, attributes };
  });
  out.sort((x, y) => (x.index < y.index ? -1 : x.index > y.index ? 1 : 0));
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!;
    const cur = out[i]!;
    if (cur.index < prev.index + prev.size) throw new ValidationError(`${spec.id} mappings`, `virtual ranges at ${hex(prev.va)} and ${hex(cur.va)} overlap`);
  }
  const byPa = [...out].sort((x, y) => (x.pa < y.pa ? -1 : x.pa > y.pa ? 1 : 0));
  let reach: NormalisedMapping | undefined;
  for (const m of byPa) {
    if (reach !== undefined && m.pa < reach.pa + reach.size && m.attributes.memoryType !== reach.attributes.memoryType) {
      throw new ValidationError(`${spec.id} mappings`, `physical page ${hex(m.pa)} is mapped both as ${reach.attributes.memoryType} and as ${m.attributes.memoryType} memory`);
    }
    if (reach === undefined || m.pa + m.size > reach.pa + reach.size) reach = m;
  }
  // Merge neighbours that continue each other, so larger pages fit across the seam.
  const merged: NormalisedMapping[] = [];
  for (const m of out) {
    const last = merged[merged.length - 1];
    if (last && last.index + last.size === m.index && last.pa + last.size === m.pa && sameAttributes(last.attributes, m.attributes)) {
      merged[merged.length - 1] = { ...last, size: last.size + m.size };
    } else {
      merged.push(m);
    }
  }
  return merged;
}

/**
 * Build radix translation tables for `mappings`: greedy largest-leaf chunking
 * (a leaf of size S wherever VA and PA are S-aligned and S bytes remain), which
 * allocates a table only where no leaf above it can cover the range, so the
 * table count is the minimum for the mapping set. Tables are laid out from
 * `options.tableBase` upwards, each at its own alignment, root first.
 */
export function buildRadixTables(spec: RadixFormatSpec, mappings: readonly Mapping[], options: PageTableBuildOptions): PageTableBuild {
  const geometry = spec.geometry;
  const levels = geometry.levels;
  const entryBytes = geometry.entryBytes;
  const rootAlign = levels[0]!.tableAlign;
  if (options.tableBase < 0n || !isAligned(options.tableBase, rootAlign)) {
    throw new ValidationError(`${spec.id} tableBase`, `${hex(options.tableBase)} is not aligned to ${hex(rootAlign)}`);
  }
  const normalised = normaliseMappings(spec, mappings, options);
  const addressShift = BigInt(spec.outputAddressShift ?? 0);

  let tableCount = 0;
  const byLevel: Map<bigint, Table>[] = levels.map(() => new Map());
  const coverShift = levels.map((l) => BigInt(l.shift + Math.log2(l.entries)));
  const base = options.tableBase;
  let cursor = base;
  const maxBytes = options.maxTableBytes ?? DEFAULT_MAX_TABLE_BYTES;
  // Pass 1 lays tables out and records what to write; pass 2 writes it into one
  // buffer of the exact size (no growth copies, no per-table arrays).
  const links: { table: Table; slot: number; descriptor: bigint }[] = [];
  const runs: { offset: number; span: number; count: number; pa: number; size: number; attrs: bigint }[] = [];
  const allocate = (level: number): Table => {
    const g = levels[level]!;
    const size = g.entries * entryBytes;
    const rem = cursor % g.tableAlign;
    const pa = rem === 0n ? cursor : cursor + (g.tableAlign - rem);
    cursor = pa + BigInt(size);
    if (cursor - base > maxBytes) throw new ValidationError(`${spec.id} tables`, `the mappings need more than ${hex(maxBytes)} bytes of tables (raise maxTableBytes, or map with larger alignment)`);
    if (cursor > spec.tableLimit) throw new ValidationError(`${spec.id} tables`, `table at ${hex(pa)} lies beyond ${hex(spec.tableLimit)}, the highest address the format can point to`);
    tableCount++;
    return { level, pa, offset: Number(pa - base) };
  };
  const root = allocate(0);
  byLevel[0]!.set(0n, root);

  // The table at `level` that holds the entry for `index`, created (with its parents) if needed.
  const tableFor = (level: number, index: bigint): Table => {
    const key = index >> coverShift[level]!;
    const found = byLevel[level]!.get(key);
    if (found) return found;
    const parent = tableFor(level - 1, index);
    const pg = levels[level - 1]!;
    const slot = Number((index >> BigInt(pg.shift)) & BigInt(pg.entries - 1));
    const child = allocate(level);
    links.push({ table: parent, slot, descriptor: spec.tableDescriptor(level - 1) | (child.pa >> addressShift) });
    byLevel[level]!.set(key, child);
    return child;
  };

  const leafChoices = levels
    .flatMap((g, level) => g.leafSizes.map((size) => ({ level, size })))
    .sort((a, b) => (a.size > b.size ? -1 : a.size < b.size ? 1 : 0));
  const leafCounts = new Map<bigint, bigint>();
  let maxEnd = cursor;

  for (const m of normalised) {
    let index = m.index;
    let pa = m.pa;
    let remaining = m.size;
    if (pa + m.size > maxEnd) maxEnd = pa + m.size;
    const descriptorCache = new Map<string, bigint>();
    while (remaining > 0n) {
      const choice = leafChoices.find((c) => c.size <= remaining && index % c.size === 0n && pa % c.size === 0n);
      if (!choice) throw new ValidationError(`${spec.id} mapping at ${hex(m.va)}`, "no page size fits (internal alignment error)");
      const { level, size } = choice;
      const g = levels[level]!;
      // Run of same-size leaves: up to the end of this table, the end of the
      // mapping, or the next boundary where a larger leaf could start.
      const tableCover = 1n << coverShift[level]!;
      let runEnd = index - (index % tableCover) + tableCover;
      const mappingEnd = index + remaining - (remaining % size);
      if (mappingEnd < runEnd) runEnd = mappingEnd;
      for (const bigger of leafChoices) {
        if (bigger.size <= size) break;
        if ((index - pa) % bigger.size !== 0n) continue;
        const boundary = index - (index % bigger.size) + bigger.size;
        if (boundary < runEnd) runEnd = boundary;
      }
      const count = (runEnd - index) / size;
      const key = `${level}:${size}`;
      let attrs = descriptorCache.get(key);
      if (attrs === undefined) {
        attrs = spec.leafDescriptor(level, size, m.attributes);
        descriptorCache.set(key, attrs);
      }
      const table = tableFor(level, index);
      const span = Number(size >> BigInt(g.shift));
      const first = Number((index >> BigInt(g.shift)) & BigInt(g.entries - 1));
      runs.push({ offset: table.offset + first * entryBytes, span, count: Number(count), pa: Number(pa >> addressShift), size: Number(size >> addressShift), attrs });
      leafCounts.set(size, (leafCounts.get(size) ?? 0n) + count);
      const advanced = count * size;
      index += advanced;
      pa += advanced;
      remaining -= advanced;
    }
  }

  if (cursor > maxEnd) maxEnd = cursor;
  const total = cursor - base;
  const segmentBytes = new Uint8Array(Number(total));
  const view = new DataView(segmentBytes.buffer);
  for (const l of links) {
    if (entryBytes === 8) view.setBigUint64(l.table.offset + l.slot * 8, l.descriptor, true);
    else view.setUint32(l.table.offset + l.slot * 4, Number(l.descriptor), true);
  }
  const words = HOST_LITTLE_ENDIAN ? new Uint32Array(segmentBytes.buffer) : undefined;
  for (const r of runs) writeLeaves(segmentBytes, view, words, r.offset, r.span, r.count, r.pa, r.size, r.attrs, entryBytes);
  const segment = { pa: base, bytes: segmentBytes };
  const smallestPage = levels[levels.length - 1]!.leafSizes[0] ?? 1n << BigInt(levels[levels.length - 1]!.shift);
  const { registers, notes } = spec.registers(root.pa, maxEnd);
  const leaves: LeafCount[] = [...leafCounts.entries()]
    .sort((a, b) => (a[0] > b[0] ? -1 : 1))
    .map(([pageSize, count]) => ({ pageSize, count }));
  return {
    format: spec.id,
    root: root.pa,
    tables: BigInt(tableCount),
    tablesPerLevel: byLevel.map((m) => BigInt(m.size)),
    tableBytes: total,
    tablePages: (total + smallestPage - 1n) / smallestPage,
    segment,
    registers,
    mappings: normalised.map((m) => ({ va: m.va, pa: m.pa, size: m.size, attributes: m.attributes })),
    leaves,
    notes,
    memory: () => new PlacedMemory([segment]),
  };
}

/** True on little-endian hosts, where a Uint32Array writes descriptors in the tables' byte order directly. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Write `count` leaves of `size` bytes starting at byte `offset`, each
 * replicated `span` times. Physical addresses stay below 2^53 (every format's
 * output address is at most 52 bits), so plain numbers carry them exactly; the
 * address is kept as 32-bit halves with a carry, which keeps bigint and
 * floating-point division out of the per-entry loop.
 */
function writeLeaves(bytes: Uint8Array, view: DataView, words: Uint32Array | undefined, offset: number, span: number, count: number, pa: number, size: number, attrs: bigint, entryBytes: 4 | 8): void {
  const attrLo = Number(attrs & 0xffffffffn);
  const attrHi = Number(attrs >> 32n);
  let hi = Math.floor(pa / TWO_32);
  let lo = pa - hi * TWO_32;
  if (words !== undefined && offset % 4 === 0) {
    let w = (bytes.byteOffset + offset) >>> 2;
    for (let k = 0; k < count; k++) {
      const l = lo | attrLo;
      if (entryBytes === 8) {
        const h = hi | attrHi;
        for (let s = 0; s < span; s++, w += 2) {
          words[w] = l;
          words[w + 1] = h;
        }
      } else {
        for (let s = 0; s < span; s++) words[w++] = l;
      }
      lo += size;
      if (lo >= TWO_32) {
        lo -= TWO_32;
        hi++;
      }
    }
    return;
  }
  for (let k = 0; k < count; k++) {
    const l = (lo | attrLo) >>> 0;
    const h = (hi | attrHi) >>> 0;
    for (let s = 0; s < span; s++) {
      if (entryBytes === 8) {
        view.setUint32(offset, l, true);
        view.setUint32(offset + 4, h, true);
        offset += 8;
      } else {
        view.setUint32(offset, l, true);
        offset += 4;
      }
    }
    lo += size;
    if (lo >= TWO_32) {
      lo -= TWO_32;
      hi++;
    }
  }
}
