import { readTableEntry, type PhysicalMemory, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";

/*
 * The Sv39/Sv48 address translation a RISC-V hart performs for a supervisor
 * access (Privileged ISA §10.4.2 "Virtual Address Translation Process", with
 * the Sv39 and Sv48 parameters of §10.5 and §10.6), reading PTEs from memory.
 * Written apart from the table builder on purpose: no shared decode helpers.
 */

type Fault = Exclude<WalkResult, { kind: "translation" }>["fault"];

const field = (value: bigint, hi: number, lo: number): bigint => (value >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);

/**
 * Translate `va` with the `satp` in `registers` (MODE 8 Sv39 or 9 Sv48; MODE 0
 * Bare is an identity translation). Leaf rights are read straight from R/W/X/U;
 * memory type from Svpbmt's PBMT (0: whatever the PMAs say, reported "normal";
 * 1: "riscv:NC"; 2: "device"; 3 is reserved). A clear A bit faults (Svade); so
 * does a clear D bit on a writable page, since the first store would fault.
 */
export function walkSv(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult {
  const satp = registers.satp ?? 0n;
  const mode = field(satp, 63, 60);
  const fail = (fault: Fault, level: number, reason: string): WalkResult => ({ kind: "fault", va, fault, level, reason });
  if (mode === 0n) {
    if (va < 0n || va >> 56n !== 0n) return fail("address-size", 0, "bare mode: address beyond 56 bits");
    return { kind: "translation", va, pa: va, pageSize: 4096n, level: 0, attributes: { writable: true, executable: true, user: false, memoryType: "normal" } };
  }
  const levels = mode === 8n ? 3 : mode === 9n ? 4 : 0;
  if (levels === 0) return fail("configuration", 0, `satp.MODE ${mode} is not Sv39 (8) or Sv48 (9)`);
  const vaBits = 12 + 9 * levels;
  // Bits 63..vaBits must all equal bit vaBits-1.
  const top = va >> BigInt(vaBits - 1);
  const ones = (1n << BigInt(64 - vaBits + 1)) - 1n;
  if (va < 0n || va >> 64n !== 0n || (top !== 0n && top !== ones)) return fail("translation", levels - 1, `address is not sign-extended from bit ${vaBits - 1}`);

  // Step 1: a = satp.ppn * PAGESIZE, i = LEVELS - 1.
  let a = field(satp, 43, 0) << 12n;
  for (let i = levels - 1; i >= 0; i--) {
    // Step 2: pte = memory[a + va.vpn[i] * PTESIZE].
    const vpn = field(va, 12 + 9 * i + 8, 12 + 9 * i);
    const at = a + vpn * 8n;
    const pte = readTableEntry(memory, at, 8);
    if (pte === undefined) return fail("bus", i, `PTE at 0x${at.toString(16)} is not in memory`);
    const v = pte & 1n;
    const r = field(pte, 1, 1) === 1n;
    const w = field(pte, 2, 2) === 1n;
    const x = field(pte, 3, 3) === 1n;
    // Step 3: invalid, W without R, or reserved bits 60:54 set: page fault. N (Svnapot) is not built here.
    if (v === 0n) return fail("translation", i, "PTE.V clear");
    if (w && !r) return fail("reserved-bit", i, "PTE has W set without R (reserved encoding)");
    if (field(pte, 60, 54) !== 0n) return fail("reserved-bit", i, "PTE bits 60:54 are reserved");
    if (field(pte, 63, 63) !== 0n) return fail("reserved-bit", i, "PTE.N (Svnapot) is not supported by this walker");
    const ppn = field(pte, 53, 10);
    // Step 4: neither R nor X: pointer to the next level.
    if (!r && !x) {
      // D, A and U of a non-leaf PTE are reserved and must be zero (§10.4.1).
      if (field(pte, 7, 6) !== 0n || field(pte, 4, 4) !== 0n) return fail("reserved-bit", i, "non-leaf PTE with D, A or U set");
      if (field(pte, 62, 61) !== 0n) return fail("reserved-bit", i, "non-leaf PTE with PBMT set");
      if (i === 0) return fail("translation", 0, "pointer PTE at level 0");
      a = ppn << 12n;
      continue;
    }
    // Step 6: a superpage whose low PPN fields are not zero is misaligned.
    if (i > 0 && field(ppn, 9 * i - 1, 0) !== 0n) return fail("translation", i, `misaligned superpage: PPN[${i - 1}:0] not zero`);
    // Step 7 (Svade): A clear faults; D clear on a writable page faults on the first store.
    if (field(pte, 6, 6) === 0n) return fail("access-flag", i, "PTE.A clear");
    if (w && field(pte, 7, 7) === 0n) return fail("access-flag", i, "writable PTE with D clear");
    const pbmt = field(pte, 62, 61);
    if (pbmt === 3n) return fail("reserved-bit", i, "PBMT = 3 is reserved");
    const pageSize = 1n << BigInt(12 + 9 * i);
    return {
      kind: "translation",
      va,
      pa: ((ppn << 12n) & ~(pageSize - 1n)) | (va & (pageSize - 1n)),
      pageSize,
      level: i,
      attributes: {
        writable: w,
        executable: x,
        user: field(pte, 4, 4) === 1n,
        memoryType: pbmt === 0n ? "normal" : pbmt === 2n ? "device" : "riscv:NC",
      },
    };
  }
  return fail("translation", 0, "unreachable");
}
