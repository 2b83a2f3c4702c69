import { FormatError } from "../errors.js";
import { MemoryMap, type MemoryRange, type MemoryType } from "../memory-map.js";

/**
 * Parsers for what a running Linux tells a kexec loader about itself
 * (the files are read by `@handoff/node`; these only see their text).
 */

/** One line of `/proc/iomem`: `[start, end]` (inclusive, as printed), its name and nesting depth. */
export interface IomemEntry {
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
  readonly depth: number;
}

const IOMEM_LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;
/** No real machine has more resources than this; the walk stops there. */
const MAX_IOMEM_LINES = 65536;

/** Parse `/proc/iomem` (kernel/resource.c r_show: two spaces per nesting level, `%0*llx-%0*llx : name`). */
export function parseIomem(text: string, file = "/proc/iomem"): IomemEntry[] {
  const lines = text.split("\n");
  if (lines.length > MAX_IOMEM_LINES) throw new FormatError(file, "iomem", "lines", undefined, `more than ${MAX_IOMEM_LINES} lines`);
  const out: IomemEntry[] = [];
  lines.forEach((line, i) => {
    if (line === "") return;
    const m = IOMEM_LINE.exec(line);
    if (!m) throw new FormatError(file, "iomem", `line ${i + 1}`, undefined, `expected 'start-end : name', got '${line.slice(0, 80)}'`);
    const start = BigInt(`0x${m[2]}`);
    const end = BigInt(`0x${m[3]}`);
    if (end < start) throw new FormatError(file, "iomem", `line ${i + 1}`, undefined, "end below start");
    out.push({ start, end, name: m[4]!, depth: m[1]!.length / 2 });
  });
  return out;
}

/** Memory type of a top-level resource name (arch/x86/kernel/e820.c e820_type_to_string and the generic names). */
function typeOfResource(name: string): MemoryType | undefined {
  if (name === "System RAM") return "ram";
  if (name === "ACPI Tables") return "acpi";
  if (name === "ACPI Non-volatile Storage") return "nvs";
  if (name === "Persistent Memory" || name === "Persistent Memory (legacy)") return "persistent";
  if (name === "Unusable memory") return "unusable";
  if (name === "Reserved" || name === "reserved") return "reserved";
  return undefined;
}

/**
 * The memory map a kexec loader places into: the top-level RAM, ACPI and
 * reserved resources of `/proc/iomem` (device windows are left out). All zero
 * addresses mean the reader is not root (the kernel hides them): refused.
 */
export function memoryMapFromIomem(entries: readonly IomemEntry[], file = "/proc/iomem"): MemoryMap {
  if (entries.length > 0 && entries.every((e) => e.start === 0n && e.end === 0n)) {
    throw new FormatError(file, "iomem", "addresses", undefined, "all zero: the kernel shows resource addresses to root only");
  }
  const ranges: MemoryRange[] = [];
  for (const e of entries) {
    const type = e.depth === 0 ? typeOfResource(e.name) : undefined;
    if (type !== undefined) ranges.push({ start: e.start, size: e.end - e.start + 1n, type });
  }
  return MemoryMap.of(ranges);
}

/** One `/sys/firmware/memmap/N/` entry: the files `start`, `end` (inclusive) and `type`. */
export interface FirmwareMemmapEntry {
  readonly start: string;
  readonly end: string;
  readonly type: string;
}

/** The firmware's own map (drivers/firmware/memmap.c; the e820 table on x86), as kexec-tools reads it for the new kernel. */
export function memoryMapFromFirmwareMemmap(entries: readonly FirmwareMemmapEntry[], dir = "/sys/firmware/memmap"): MemoryMap {
  const ranges = entries.map((e, i) => {
    const field = (name: string, text: string) => {
      const t = text.trim();
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(t)) throw new FormatError(`${dir}/${i}/${name}`, "firmware memmap", name, undefined, `expected a hex address, got '${t.slice(0, 40)}'`);
      return BigInt(t);
    };
    const start = field("start", e.start);
    const end = field("end", e.end);
    if (end < start) throw new FormatError(`${dir}/${i}/end`, "firmware memmap", "end", undefined, "below start");
    return { start, size: end - start + 1n, type: typeOfResource(e.type.trim()) ?? ("reserved" as const) };
  });
  return MemoryMap.of(ranges);
}

/** The active mode in `/sys/kernel/security/lockdown` (`none [integrity] confidentiality`). */
export function parseLockdown(text: string): string | undefined {
  return /\[(\w+)\]/.exec(text)?.[1];
}
