import { readTableEntry, type PhysicalMemory, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";
import { x86LeafMemoryType, x86PagingState } from "@handoff/x86";

/*
 * x86 linear-address translation for the two 32-bit paging modes, reading
 * entries from memory as the processor does: 32-bit paging (Intel SDM Vol. 3A
 * §4.3) and PAE paging (§4.4). Independent of the table builder by design.
 */

type Fault = Exclude<WalkResult, { kind: "translation" }>["fault"];
const has = (v: bigint, n: number) => ((v >> BigInt(n)) & 1n) === 1n;

/**
 * Translate a 32-bit linear address. CR4.PAE selects PAE paging, otherwise
 * 32-bit paging (4 MiB pages only with CR4.PSE). Rights as the SDM §4.6 gives
 * them with CR0.WP: writable = AND of R/W, user = AND of U/S, executable unless
 * some level has XD (PAE with EFER.NXE; 32-bit paging cannot forbid execution).
 */
export function walkX86_32(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult {
  const { cr0, cr3, cr4, efer, pat } = x86PagingState(registers);
  const fail = (fault: Fault, level: number, reason: string): WalkResult => ({ kind: "fault", va, fault, level, reason });
  if (!has(cr0, 31) || !has(cr0, 0)) return fail("configuration", 0, "CR0.PG/PE clear: paging is off");
  if (va < 0n || va > 0xffff_ffffn) return fail("translation", 0, "not a 32-bit linear address");
  const wp = has(cr0, 16);
  const done = (pa: bigint, pageSize: bigint, level: number, writable: boolean, user: boolean, nx: boolean, entry: bigint, patBit: number): WalkResult => {
    return {
      kind: "translation",
      va,
      pa,
      pageSize,
      level,
      attributes: { writable: writable || (!user && !wp), executable: !nx, user, memoryType: x86LeafMemoryType(pat, entry, patBit) },
    };
  };

  if (!has(cr4, 5)) {
    // 32-bit paging: PDE index VA[31:22], PTE index VA[21:12], 4-byte entries.
    const pdeAt = (cr3 & 0xffff_f000n) | ((va >> 22n) << 2n);
    const pde = readTableEntry(memory, pdeAt, 4);
    if (pde === undefined) return fail("bus", 0, `PDE at 0x${pdeAt.toString(16)} is not in memory`);
    if (!has(pde, 0)) return fail("translation", 0, "PDE not present");
    if (has(pde, 7) && has(cr4, 4)) {
      // 4 MiB page: PA[31:22] = PDE[31:22], PA[39:32] = PDE[20:13] (PSE-36); bit 21 reserved.
      if (has(pde, 21)) return fail("reserved-bit", 0, "PDE bit 21 set");
      const pa = (pde & 0xffc0_0000n) | (((pde >> 13n) & 0xffn) << 32n) | (va & 0x3f_ffffn);
      return done(pa, 0x40_0000n, 0, has(pde, 1), has(pde, 2), false, pde, 12);
    }
    const pteAt = (pde & 0xffff_f000n) | (((va >> 12n) & 0x3ffn) << 2n);
    const pte = readTableEntry(memory, pteAt, 4);
    if (pte === undefined) return fail("bus", 1, `PTE at 0x${pteAt.toString(16)} is not in memory`);
    if (!has(pte, 0)) return fail("translation", 1, "PTE not present");
    return done((pte & 0xffff_f000n) | (va & 0xfffn), 0x1000n, 1, has(pde, 1) && has(pte, 1), has(pde, 2) && has(pte, 2), false, pte, 7);
  }

  // PAE paging: PDPTE index VA[31:30] from CR3[31:5]; PDE VA[29:21]; PTE VA[20:12]; 8-byte entries.
  const nxe = has(efer, 11);
  const addr = (e: bigint) => e & 0x000f_ffff_ffff_f000n;
  const pdpteAt = (cr3 & 0xffff_ffe0n) + (va >> 30n) * 8n;
  const pdpte = readTableEntry(memory, pdpteAt, 8);
  if (pdpte === undefined) return fail("bus", 0, `PDPTE at 0x${pdpteAt.toString(16)} is not in memory`);
  if (!has(pdpte, 0)) return fail("translation", 0, "PDPTE not present");
  if ((pdpte & 0x1e6n) !== 0n || has(pdpte, 63)) return fail("reserved-bit", 0, "PDPTE reserved bit set (bits 2:1, 8:5 or 63)");
  const pdeAt = addr(pdpte) + ((va >> 21n) & 0x1ffn) * 8n;
  const pde = readTableEntry(memory, pdeAt, 8);
  if (pde === undefined) return fail("bus", 1, `PDE at 0x${pdeAt.toString(16)} is not in memory`);
  if (!has(pde, 0)) return fail("translation", 1, "PDE not present");
  if (has(pde, 63) && !nxe) return fail("reserved-bit", 1, "PDE XD set with EFER.NXE clear");
  if (has(pde, 7)) {
    if ((pde & 0x1f_e000n) !== 0n) return fail("reserved-bit", 1, "2 MiB PDE bits 20:13 set");
    const pa = (addr(pde) & ~0x1f_ffffn) | (va & 0x1f_ffffn);
    return done(pa, 0x20_0000n, 1, has(pde, 1), has(pde, 2), nxe && has(pde, 63), pde, 12);
  }
  const pteAt = addr(pde) + ((va >> 12n) & 0x1ffn) * 8n;
  const pte = readTableEntry(memory, pteAt, 8);
  if (pte === undefined) return fail("bus", 2, `PTE at 0x${pteAt.toString(16)} is not in memory`);
  if (!has(pte, 0)) return fail("translation", 2, "PTE not present");
  if (has(pte, 63) && !nxe) return fail("reserved-bit", 2, "PTE XD set with EFER.NXE clear");
  const nx = nxe && (has(pde, 63) || has(pte, 63));
  return done(addr(pte) | (va & 0xfffn), 0x1000n, 2, has(pde, 1) && has(pte, 1), has(pde, 2) && has(pte, 2), nx, pte, 7);
}
