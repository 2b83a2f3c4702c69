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
 *
 * Cost model: bigint arithmetic happens once per *segment* (a stretch of one
 * leaf size inside one mapping); the per-table and per-entry work uses plain
 * numbers (table keys, byte offsets and physical addresses are all below 2^53),
 * so building is a small constant factor of writing the same bytes (bench:
 * scripts/bench/page-tables.mjs).
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
  const addressShift = spec.outputAddressShift ?? 0;
  const addressDivisor = 2 ** addressShift;

  const base = options.tableBase;
  const maxBytes = Number(options.maxTableBytes ?? DEFAULT_MAX_TABLE_BYTES);
  // Everything below is relative to `base`, in numbers: offsets are bounded by maxBytes.
  const limitBytes = spec.tableLimit - base;
  // As a number for the per-table check (beyond 2^53 nothing can reach it anyway).
  const limit = limitBytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(limitBytes);
  const tableBytes = levels.map((g) => g.entries * entryBytes);
  const align = levels.map((g) => Number(g.tableAlign));
  const baseMod = levels.map((g) => Number(base % g.tableAlign));
  const coverShift = levels.map((l) => BigInt(l.shift + Math.log2(l.entries)));
  const tableDescriptorBits = levels.map((_, level) => (level + 1 < levels.length ? spec.tableDescriptor(level) : 0n));
  const basePa = Number(base); // tables lie below tableLimit <= 2^52
  let cursor = 0;
  let tableCount = 0;
  const perLevel = levels.map(() => 0);
  // Pass 1 lays tables out and records what to write, as flat number arrays;
  // pass 2 writes it into one buffer of the exact size.
  const links: number[] = []; // [entry byte offset, child byte offset, parent level]
  const segments: number[] = []; // [span, step, attr lo, attr hi, end of its runs in `runs`]
  const runs: number[] = []; // [entry byte offset, count, first output address]
  const allocate = (level: number): number => {
    const a = align[level]!;
    const pad = (a - ((baseMod[level]! + cursor) % a)) % a;
    const offset = cursor + pad;
    cursor = offset + tableBytes[level]!;
    if (cursor > maxBytes) throw new ValidationError(`${spec.id} tables`, `the mappings need more than ${hex(BigInt(maxBytes))} bytes of tables (raise maxTableBytes, or map with larger alignment)`);
    if (cursor > limit) throw new ValidationError(`${spec.id} tables`, `table at ${hex(base + BigInt(offset))} lies beyond ${hex(spec.tableLimit)}, the highest address the format can point to`);
    tableCount++;
    return offset;
  };
  const rootOffset = allocate(0);
  perLevel[0] = 1;

  // Mappings are laid in index order and each segment walks up the index, so
  // every level is asked for non-decreasing keys (index >> coverShift[level]):
  // the table with the last key asked for is the only one asked for again, and
  // a larger key is a table not made yet. No lookup structure (a Map lookup per
  // table was much of the cost of arm32's 1 KiB tables).
  const lastKey: number[] = levels.map((_, level) => (level === 0 ? 0 : -1));
  const lastTable = levels.map(() => rootOffset);
  // The table at `level` with `key`, created (with its parents) if needed.
  const tableFor = (level: number, key: number): number => {
    if (lastKey[level] === key) return lastTable[level]!;
    if (key < lastKey[level]!) throw new ValidationError(`${spec.id} tables`, "internal: tables asked for out of index order");
    const parentEntries = levels[level - 1]!.entries;
    const parent = tableFor(level - 1, Math.floor(key / parentEntries));
    const table = allocate(level);
    links.push(parent + (key % parentEntries) * entryBytes, table, level - 1);
    perLevel[level]!++;
    lastKey[level] = key;
    return (lastTable[level] = table);
  };

  const leafChoices = levels
    .flatMap((g, level) => g.leafSizes.map((size) => ({ level, size })))
    .sort((a, b) => (a.size > b.size ? -1 : a.size < b.size ? 1 : 0));
  const leafCounts = new Map<bigint, bigint>();
  let maxEnd = base + BigInt(cursor);

  for (const m of normalised) {
    let index = m.index;
    let pa = m.pa;
    let remaining = m.size;
    if (pa + m.size > maxEnd) maxEnd = pa + m.size;
    // Leaf sizes whose alignment this mapping's VA-PA offset allows: only they can start a bigger leaf.
    const offsetAligned = leafChoices.filter((c) => (index - pa) % c.size === 0n);
    while (remaining > 0n) {
      const choice = leafChoices.find((c) => c.size <= remaining && index % c.size === 0n && pa % c.size === 0n);
      if (!choice) throw new ValidationError(`${spec.id} mapping at ${hex(m.va)}`, "no page size fits (internal alignment error)");
      const { level, size } = choice;
      const g = levels[level]!;
      // Segment of same-size leaves: to the end of the mapping, or the next
      // boundary where a larger leaf could start.
      let segmentEnd = index + remaining - (remaining % size);
      for (const bigger of offsetAligned) {
        if (bigger.size <= size) break;
        const boundary = index - (index % bigger.size) + bigger.size;
        if (boundary < segmentEnd) segmentEnd = boundary;
      }
      const leaves = (segmentEnd - index) / size;
      const attrs = spec.leafDescriptor(level, size, m.attributes);
      const attrLo = Number(attrs & 0xffffffffn);
      const attrHi = Number(attrs >> 32n);
      const span = Number(size >> BigInt(g.shift));
      const step = Number(size) / addressDivisor;
      // Walk the segment table by table with numbers.
      let key = Number(index >> coverShift[level]!);
      let slot = Number((index >> BigInt(g.shift)) & BigInt(g.entries - 1));
      let left = Number(leaves);
      let out = Number(pa) / addressDivisor;
      const first = runs.length;
      while (left > 0) {
        const count = Math.min(left, (g.entries - slot) / span);
        const at = tableFor(level, key) + slot * entryBytes;
        // Tables laid out back to back take one run: one writeLeaves call for arm32's 2048 1 KiB tables.
        if (runs.length > first && runs[runs.length - 3]! + runs[runs.length - 2]! * span * entryBytes === at) runs[runs.length - 2]! += count;
        else runs.push(at, count, out);
        left -= count;
        out += count * step;
        key++;
        slot = 0;
      }
      segments.push(span, step, attrLo, attrHi, runs.length);
      leafCounts.set(size, (leafCounts.get(size) ?? 0n) + leaves);
      const advanced = leaves * size;
      index += advanced;
      pa += advanced;
      remaining -= advanced;
    }
  }

  const total = BigInt(cursor);
  if (base + total > maxEnd) maxEnd = base + total;
  const segmentBytes = new Uint8Array(cursor);
  const view = new DataView(segmentBytes.buffer);
  const words = HOST_LITTLE_ENDIAN ? new Int32Array(segmentBytes.buffer) : undefined;
  const linkBits = tableDescriptorBits.map((bits) => [Number(bits & 0xffffffffn), Number(bits >> 32n)] as const);
  for (let i = 0; i < links.length; i += 3) {
    const [lo, hi] = linkBits[links[i + 2]!]!;
    const pa = (basePa + links[i + 1]!) / addressDivisor;
    const paHi = Math.floor(pa / TWO_32);
    view.setUint32(links[i]!, ((pa - paHi * TWO_32) | lo) >>> 0, true);
    if (entryBytes === 8) view.setUint32(links[i]! + 4, (paHi | hi) >>> 0, true);
  }
  for (let s = 0, i = 0; s < segments.length; s += 5) {
    for (; i < segments[s + 4]!; i += 3) writeLeaves(segmentBytes, view, words, runs[i]!, segments[s]!, runs[i + 1]!, runs[i + 2]!, segments[s + 1]!, segments[s + 2]!, segments[s + 3]!, entryBytes);
  }
  const segment = { pa: base, bytes: segmentBytes };
  const smallestPage = levels[levels.length - 1]!.leafSizes[0] ?? 1n << BigInt(levels[levels.length - 1]!.shift);
  const root = base + BigInt(rootOffset);
  const { registers, notes } = spec.registers(root, maxEnd);
  const leafList: LeafCount[] = [...leafCounts.entries()]
    .sort((a, b) => (a[0] > b[0] ? -1 : 1))
    .map(([pageSize, count]) => ({ pageSize, count }));
  return {
    format: spec.id,
    root,
    tables: BigInt(tableCount),
    tablesPerLevel: perLevel.map((n) => BigInt(n)),
    tableBytes: total,
    tablePages: (total + smallestPage - 1n) / smallestPage,
    segment,
    registers,
    mappings: normalised.map((m) => ({ va: m.va, pa: m.pa, size: m.size, attributes: m.attributes })),
    leaves: leafList,
    notes,
    memory: () => new PlacedMemory([segment]),
  };
}

/** True on little-endian hosts, where an Int32Array writes descriptors in the tables' byte order directly. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Write `count` descriptors at byte `offset`, each replicated `span` times, the
 * first holding output address `pa` and each next one `size` more, ORed with
 * the attribute bits `attrLo` (bits 0..31) and `attrHi` (bits 32..63). Physical addresses stay below 2^53 (every format's
 * output address is at most 52 bits), so plain numbers carry them exactly.
 * The per-entry loop runs on int32 values only (the low address word wraps with
 * `| 0`; the run is cut where it would carry into the high word), which V8
 * keeps in registers: no bigint, no float, no allocation per entry. Leaf
 * attribute bits never overlap the address bits of their own page size, so
 * adding `size` to the address word and ORing the attributes commute.
 */
function writeLeaves(bytes: Uint8Array, view: DataView, words: Int32Array | undefined, offset: number, span: number, count: number, pa: number, size: number, attrLo: number, attrHi: number, entryBytes: 4 | 8): void {
  let hi = Math.floor(pa / TWO_32);
  let lo = pa - hi * TWO_32;
  if (words !== undefined && offset % 4 === 0) {
    // int32 copies of the loop's inputs (callers pass doubles from number arrays):
    // the low word only ever needs `size` modulo 2^32.
    const a = attrLo | 0;
    const step = size % TWO_32 | 0;
    let w = (bytes.byteOffset + offset) >>> 2;
    while (count > 0) {
      // Entries before the low word carries into the high word.
      const chunk = Math.min(count, Math.ceil((TWO_32 - lo) / size));
      let l = lo | 0;
      const h = hi | attrHi;
      if (entryBytes === 8) {
        if (span === 1) {
          for (let k = 0; k < chunk; k++, w += 2) {
            words[w] = l | a;
            words[w + 1] = h;
            l = (l + step) | 0;
          }
        } else {
          for (let k = 0; k < chunk; k++) {
            const v = l | a;
            for (let s = 0; s < span; s++, w += 2) {
              words[w] = v;
              words[w + 1] = h;
            }
            l = (l + step) | 0;
          }
        }
      } else if (span === 1) {
        // Four entries per iteration: the loop overhead is most of a 4-byte entry's cost.
        const end = w + chunk;
        const step2 = (step * 2) | 0;
        const step3 = (step * 3) | 0;
        const step4 = (step * 4) | 0;
        for (; w + 4 <= end; w += 4) {
          const v = l | a;
          words[w] = v;
          words[w + 1] = ((l + step) | 0) | a;
          words[w + 2] = ((l + step2) | 0) | a;
          words[w + 3] = ((l + step3) | 0) | a;
          l = (l + step4) | 0;
        }
        for (; w < end; w++) {
          words[w] = l | a;
          l = (l + step) | 0;
        }
      } else {
        for (let k = 0; k < chunk; k++) {
          const v = l | a;
          for (let s = 0; s < span; s++) words[w++] = v;
          l = (l + step) | 0;
        }
      }
      count -= chunk;
      lo += chunk * size;
      // Leaves of 4 GiB and more (Sv48's 512 GiB) carry more than one into the high word.
      const carry = Math.floor(lo / TWO_32);
      hi += carry;
      lo -= carry * TWO_32;
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
    const carry = Math.floor(lo / TWO_32);
    hi += carry;
    lo -= carry * TWO_32;
  }
}
