/**
 * Every ACPI table reachable from the RSDP, found in a machine's memory
 * through a read callback (guest memory over QMP, /dev/mem, a dump): the RSDP
 * ("RSD PTR " on a 16-byte boundary of the BIOS area, ACPI 6.5 §5.2.5.1), the
 * RSDT/XSDT it points at, each table those list, and the FADT's FACS and DSDT.
 * Checksums are verified and every walk is bounded, so a torn or hostile
 * image of memory ends in a FormatError rather than a loop.
 */
import { FormatError, hex } from "@handoff/core";

/** Reads `size` bytes of physical memory at `addr`. */
export type PhysicalReader = (addr: bigint, size: number) => Promise<Uint8Array>;

/** One table: its signature, where it is and how long (the RSDP and FACS included). */
export interface AcpiTable {
  readonly signature: string;
  readonly addr: bigint;
  readonly length: number;
}

/** ACPI 6.5 §5.2.5.1: the RSDP is found on a 16-byte boundary in 0xE0000..0xFFFFF (or the EBDA's first KiB). */
export const RSDP_SEARCH = { start: 0xe_0000n, end: 0x10_0000n } as const;
const SDT_HEADER = 36;
const MAX_TABLES = 256;
const MAX_TABLE_LENGTH = 1 << 20;
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const sum8 = (b: Uint8Array) => b.reduce((s, x) => (s + x) & 0xff, 0);

/** Find the RSDP in a copy of 0xE0000..0xFFFFF: its address, revision and length (20 bytes for revision 0). */
export function findRsdp(bios: Uint8Array, base: bigint = RSDP_SEARCH.start): { addr: bigint; revision: number; rsdt: bigint; xsdt: bigint; length: number } | undefined {
  const v = new DataView(bios.buffer, bios.byteOffset, bios.byteLength);
  for (let o = 0; o + 20 <= bios.length; o += 16) {
    if (latin1(bios.subarray(o, o + 8)) !== "RSD PTR " || sum8(bios.subarray(o, o + 20)) !== 0) continue;
    const revision = bios[o + 15]!;
    const length = revision >= 2 && o + 36 <= bios.length ? v.getUint32(o + 20, true) : 20;
    const xsdt = revision >= 2 && o + 36 <= bios.length ? v.getBigUint64(o + 24, true) : 0n;
    return { addr: base + BigInt(o), revision, rsdt: BigInt(v.getUint32(o + 16, true)), xsdt, length };
  }
  return undefined;
}

async function readTable(read: PhysicalReader, addr: bigint, where: string): Promise<{ table: AcpiTable; bytes: Uint8Array }> {
  const header = await read(addr, SDT_HEADER);
  const length = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(4, true);
  const signature = latin1(header.subarray(0, 4));
  if (length < SDT_HEADER || length > MAX_TABLE_LENGTH) throw new FormatError(`memory@${hex(addr)}`, `ACPI ${signature}`, "Length", 4, `${length} bytes (from ${where}) is not a table length`);
  const bytes = await read(addr, length);
  if (sum8(bytes) !== 0) throw new FormatError(`memory@${hex(addr)}`, `ACPI ${signature}`, "Checksum", 9, `table bytes do not sum to zero (from ${where})`);
  return { table: { signature, addr, length }, bytes };
}

/** The FACS has a signature and length but no checksum (ACPI 6.5 §5.2.10). */
async function readFacs(read: PhysicalReader, addr: bigint): Promise<AcpiTable> {
  const h = await read(addr, 8);
  const length = new DataView(h.buffer, h.byteOffset, h.byteLength).getUint32(4, true);
  if (latin1(h.subarray(0, 4)) !== "FACS" || length < 64 || length > MAX_TABLE_LENGTH) throw new FormatError(`memory@${hex(addr)}`, "ACPI FACS", "Length", 4, `not a FACS (signature ${JSON.stringify(latin1(h.subarray(0, 4)))}, length ${length})`);
  return { signature: "FACS", addr, length };
}

/**
 * Every table reachable from the RSDP found in `bios` (a copy of
 * {@link RSDP_SEARCH}): RSDP, RSDT and XSDT, their entries, and the FADT's
 * FIRMWARE_CTRL (FACS, 64-byte header without checksum) and DSDT, each once.
 */
export async function acpiTables(read: PhysicalReader, bios: Uint8Array): Promise<AcpiTable[]> {
  const rsdp = findRsdp(bios);
  if (!rsdp) throw new FormatError("memory", "ACPI RSDP", "signature", 0, `no "RSD PTR " with a valid checksum in ${hex(RSDP_SEARCH.start)}..${hex(RSDP_SEARCH.end)}`);
  const found = new Map<bigint, AcpiTable>([[rsdp.addr, { signature: "RSD PTR", addr: rsdp.addr, length: rsdp.length }]]);
  const queue: { addr: bigint; where: string }[] = [];
  if (rsdp.rsdt) queue.push({ addr: rsdp.rsdt, where: "RSDP.RsdtAddress" });
  if (rsdp.xsdt) queue.push({ addr: rsdp.xsdt, where: "RSDP.XsdtAddress" });
  while (queue.length) {
    const { addr, where } = queue.shift()!;
    if (addr === 0n || found.has(addr)) continue;
    if (found.size >= MAX_TABLES) throw new FormatError("memory", "ACPI tables", "count", 0, `more than ${MAX_TABLES} tables`);
    const { table, bytes } = await readTable(read, addr, where);
    found.set(addr, table);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (table.signature === "RSDT" || table.signature === "XSDT") {
      const width = table.signature === "RSDT" ? 4 : 8;
      for (let o = SDT_HEADER; o + width <= bytes.length; o += width) {
        queue.push({ addr: width === 4 ? BigInt(v.getUint32(o, true)) : v.getBigUint64(o, true), where: `${table.signature}[${(o - SDT_HEADER) / width}]` });
      }
    } else if (table.signature === "FACP") {
      // FADT (ACPI 6.5 §5.2.9): FIRMWARE_CTRL @36, DSDT @40, X_FIRMWARE_CTRL @132, X_DSDT @140.
      const facs = [v.getUint32(36, true), bytes.length >= 140 ? Number(v.getBigUint64(132, true)) : 0];
      const dsdt = [v.getUint32(40, true), bytes.length >= 148 ? Number(v.getBigUint64(140, true)) : 0];
      for (const f of facs) if (f && !found.has(BigInt(f))) found.set(BigInt(f), await readFacs(read, BigInt(f)));
      for (const d of dsdt) if (d) queue.push({ addr: BigInt(d), where: "FADT.DSDT" });
    }
  }
  return [...found.values()];
}
