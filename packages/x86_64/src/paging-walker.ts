import { readTableEntry, type PhysicalMemory, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";
import { x86LeafMemoryType, x86PagingState } from "@handoff/x86";

/*
 * An x86-64 linear-address translation that reads paging-structure entries from
 * memory the way the processor does (Intel SDM Vol. 3A §4.5, 4-level and 5-level
 * paging). Deliberately shares nothing with the table builder: bit positions are
 * spelled out again here so that a mistake in one is caught by the other.
 */

const MAXPHYADDR = 52n;
const ADDRESS_MASK = ((1n << MAXPHYADDR) - 1n) & ~0xfffn; // bits 51:12

const LEVEL_NAMES = ["PML5E", "PML4E", "PDPTE", "PDE", "PTE"];

function bit(value: bigint, n: number): boolean {
  return ((value >> BigInt(n)) & 1n) === 1n;
}

/**
 * Translate `va` with the paging mode selected by `registers` (cr0, cr3, cr4,
 * efer; optional ia32_pat). Returns the physical address, the page size, and the
 * effective rights: writable = AND of R/W (supervisor writes ignore R/W when
 * CR0.WP = 0), user = AND of U/S, executable = no NX on any level (NX honoured
 * only with EFER.NXE), memory type from the PAT entry selected by PAT:PCD:PWT.
 */
export function walkX86_64(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult {
  const { cr0, cr3, cr4, efer, pat } = x86PagingState(registers);
  const fault = (fault: Exclude<WalkResult, { kind: "translation" }>["fault"], level: number, reason: string): WalkResult => ({ kind: "fault", va, fault, level, reason });

  if (!bit(cr0, 31) || !bit(cr0, 0)) return fault("configuration", 0, "CR0.PG/PE clear: paging is off");
  if (!bit(cr4, 5) || !bit(efer, 10)) return fault("configuration", 0, "not in IA-32e mode (CR4.PAE and EFER.LMA required)");
  const la57 = bit(cr4, 12);
  const nxe = bit(efer, 11);
  const vaBits = la57 ? 57 : 48;

  // Canonical: bits 63..vaBits-1 are copies of bit vaBits-1.
  const top = va >> BigInt(vaBits - 1);
  const ones = (1n << BigInt(64 - vaBits + 1)) - 1n;
  if (va < 0n || va >= 1n << 64n || (top !== 0n && top !== ones)) return fault("translation", 0, "non-canonical address");

  let table = cr3 & ADDRESS_MASK;
  let writable = true;
  let user = true;
  let noExec = false;
  const first = la57 ? 0 : 1;
  for (let depth = first; depth <= 4; depth++) {
    const level = depth - first;
    const shift = BigInt(12 + 9 * (4 - depth));
    const index = (va >> shift) & 0x1ffn;
    const entry = readTableEntry(memory, table + index * 8n, 8);
    const name = LEVEL_NAMES[depth]!;
    if (entry === undefined) return fault("bus", level, `${name} at ${(table + index * 8n).toString(16)} is not in memory`);
    if (!bit(entry, 0)) return fault("translation", level, `${name} not present`);
    if (bit(entry, 63) && !nxe) return fault("reserved-bit", level, `${name} bit 63 set with EFER.NXE clear`);
    const ps = bit(entry, 7);
    if (ps && (depth === 0 || depth === 1)) return fault("reserved-bit", level, `${name} PS set`);
    writable &&= bit(entry, 1);
    user &&= bit(entry, 2);
    if (nxe && bit(entry, 63)) noExec = true;

    const leaf = depth === 4 || ps;
    if (!leaf) {
      table = entry & ADDRESS_MASK;
      continue;
    }
    const pageSize = 1n << shift;
    // Large pages: bits (shift-1)..13 must be zero; bit 12 is their PAT bit.
    if (depth !== 4) {
      const reserved = (pageSize - 1n) & ~0x1fffn;
      if ((entry & reserved) !== 0n) return fault("reserved-bit", level, `${name} reserved address bits set`);
    }
    const frame = entry & ADDRESS_MASK & ~(pageSize - 1n);
    const supervisorWriteOverride = !user && !bit(cr0, 16);
    return {
      kind: "translation",
      va,
      pa: frame | (va & (pageSize - 1n)),
      pageSize,
      level,
      attributes: {
        writable: writable || supervisorWriteOverride,
        executable: !noExec,
        user,
        memoryType: x86LeafMemoryType(pat, entry, depth === 4 ? 7 : 12),
      },
    };
  }
  return fault("translation", 4, "unreachable");
}
