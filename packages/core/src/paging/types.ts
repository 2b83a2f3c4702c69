/**
 * Contracts shared by every page-table format: what to map (Mapping), what a
 * build produces (PageTableBuild) and what a walk answers (WalkResult).
 * All addresses and sizes are bigint: physical addresses reach 2^52 and
 * virtual addresses 2^64.
 */

/**
 * The memory type a mapping asks for. `normal` is write-back cacheable RAM;
 * `device` is uncached, strongly ordered (x86 UC via PCD|PWT, Arm Device-nGnRnE /
 * Strongly-ordered). Device memory is never mapped cacheable and never executable.
 */
export type MemoryKind = "normal" | "device";

/** Access rights and memory type of a mapping. */
export interface MappingAttributes {
  readonly writable: boolean;
  readonly executable: boolean;
  /** Accessible from the unprivileged level (x86 U/S, Arm AP[1]); default false. */
  readonly user?: boolean;
  readonly memoryType: MemoryKind;
}

/** One virtually contiguous range mapped to a physically contiguous range. */
export interface Mapping {
  readonly va: bigint;
  readonly pa: bigint;
  readonly size: bigint;
  readonly attributes: MappingAttributes;
}

/** Physical memory as the MMU's table walker sees it: bytes or nothing. */
export interface PhysicalMemory {
  /** `length` bytes at `pa`, or undefined when any of them is not backed. */
  read(pa: bigint, length: number): Uint8Array | undefined;
}

/** Register values that select and configure a translation regime (CR3/CR4/EFER, TTBR0/TCR/MAIR...). */
export type TranslationRegisters = Readonly<Record<string, bigint>>;

/** What a successful walk found, decoded from the descriptor bits. */
export interface WalkAttributes {
  readonly writable: boolean;
  /** Executable at the level that owns the page (user pages: user level; others: privileged). */
  readonly executable: boolean;
  readonly user: boolean;
  /** `normal`, `device`, or an arch-specific name for any other memory type found. */
  readonly memoryType: string;
}

/** Why a table walk faulted, in the architecture's terms. */
export type WalkFaultKind =
  | "translation"
  | "reserved-bit"
  | "access-flag"
  | "address-size"
  | "domain"
  | "permission"
  | "bus"
  | "configuration";

/** Outcome of walking the tables for one virtual address: a translation or a fault. */
export type WalkResult =
  | {
      readonly kind: "translation";
      readonly va: bigint;
      readonly pa: bigint;
      /** Size of the page or block the address was found in. */
      readonly pageSize: bigint;
      /** Lookup level that held the leaf, numbered as the architecture manual numbers it. */
      readonly level: number;
      readonly attributes: WalkAttributes;
    }
  | {
      readonly kind: "fault";
      readonly va: bigint;
      readonly fault: WalkFaultKind;
      /** Lookup level at which the walk stopped, numbered as the architecture manual numbers it. */
      readonly level: number;
      readonly reason: string;
    };

/** Shape of one lookup level of a radix translation table. */
export interface LevelGeometry {
  /** VA bit where this level's index starts: an entry maps 2^shift bytes. */
  readonly shift: number;
  /** Entries in one table at this level. */
  readonly entries: number;
  /** Page/block sizes a leaf entry at this level may map (one entry = 2^shift; more = replicated entries). */
  readonly leafSizes: readonly bigint[];
  /** Physical alignment of one table at this level. */
  readonly tableAlign: bigint;
}

/** Shape of a format's tables: virtual address bits, entry size and the lookup levels. */
export interface PageTableGeometry {
  /** Bits of (normalised) virtual address the tables translate. */
  readonly vaBits: number;
  readonly entryBytes: 4 | 8;
  /** Lookup levels, root first. */
  readonly levels: readonly LevelGeometry[];
}

/** What a format can express (no-execute, physical address width). */
export interface PageTableCapabilities {
  /** False where the format cannot forbid execution (x86 32-bit 2-level paging): every page is executable. */
  readonly noExecute: boolean;
  /** Highest physical address bit count the format (as built here) can output. */
  readonly physicalAddressBits: number;
}

/** Where and how to lay out the tables being built. */
export interface PageTableBuildOptions {
  /** Physical address of the first table byte; the root table goes here. */
  readonly tableBase: bigint;
  /** Allow a mapping of virtual page 0 (refused by default so null dereferences fault). */
  readonly mapPageZero?: boolean;
  /** Refuse to lay out more table bytes than this (default DEFAULT_MAX_TABLE_BYTES, 256 MiB). */
  readonly maxTableBytes?: bigint;
}

/** Default bound on a build's table bytes: a mapping set cannot make the builder allocate without limit. */
export const DEFAULT_MAX_TABLE_BYTES = 256n << 20n;

/** Bytes to place at a physical address. */
export interface PhysicalBytes {
  readonly pa: bigint;
  readonly bytes: Uint8Array;
}

/** How many leaf entries of one page (or block) size a build used. */
export interface LeafCount {
  readonly pageSize: bigint;
  readonly count: bigint;
}

/** Translation tables as bytes, and the register values that make the MMU use them. */
export interface PageTableBuild {
  readonly format: string;
  /** Physical address of the root table. */
  readonly root: bigint;
  /** Number of translation tables (of any level). */
  readonly tables: bigint;
  /** Tables per lookup level, root level first. */
  readonly tablesPerLevel: readonly bigint[];
  /** Bytes of the table segment, alignment padding included. */
  readonly tableBytes: bigint;
  /** tableBytes in units of the format's smallest page, rounded up. */
  readonly tablePages: bigint;
  /** The table segment: one contiguous range starting at the build's tableBase. */
  readonly segment: PhysicalBytes;
  /** Register values: CR3/CR4/EFER, TTBR0_EL1/TCR_EL1/MAIR_EL1, TTBCR/TTBR0/DACR... (names as in the arch register file). */
  readonly registers: TranslationRegisters;
  /** The mappings built, validated, sorted by VA, adjacent compatible ones merged. */
  readonly mappings: readonly Mapping[];
  /** Leaf entries used, by page size (largest first). */
  readonly leaves: readonly LeafCount[];
  /** Conditions the hand-off must also meet (SCTLR bits, CR0.WP...), in words. */
  readonly notes: readonly string[];
  /** The table segment as physical memory, for walkers. */
  memory(): PhysicalMemory;
}

/** A translation-table format an architecture offers (e.g. x86-64 4-level). */
export interface PageTableFormat {
  readonly id: string;
  readonly description: string;
  /** Virtual address bits translated. */
  readonly vaBits: number;
  /** Page and block sizes, smallest first. */
  readonly pageSizes: readonly bigint[];
  readonly geometry: PageTableGeometry;
  readonly capabilities: PageTableCapabilities;
  /** Build tables for `mappings`, placed at `options.tableBase`. Throws ValidationError on bad input. */
  build(mappings: readonly Mapping[], options: PageTableBuildOptions): PageTableBuild;
  /** Translate `va` by reading table bytes from `memory` the way the MMU does, starting from `registers`. */
  walk(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult;
}
