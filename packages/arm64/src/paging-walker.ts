import { readTableEntry, type PhysicalMemory, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";
import { longDescriptorLeaf } from "@handoff/arm";

/*
 * A VMSAv8-64 stage 1 translation of a TTBR0_EL1 address, reading descriptors
 * from memory as the MMU does (Arm ARM DDI 0487, D8.2 translation process, D8.3
 * descriptor formats, D8.4 permissions, D8.6 memory attributes). Written apart
 * from the table builder on purpose: no shared decode helpers.
 */

type Fault = Exclude<WalkResult, { kind: "translation" }>["fault"];

const bits = (value: bigint, hi: number, lo: number): bigint => (value >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);

/** TCR_EL1.IPS / PARange encodings -> physical address bits. */
const PA_BITS: Record<number, number> = { 0: 32, 1: 36, 2: 40, 3: 42, 4: 44, 5: 48 };

function memoryType(attr: bigint): string {
  if (attr === 0xffn) return "normal";
  if (attr === 0x00n) return "device";
  if ((attr & 0xf0n) === 0n) return `arm:Device-${["nGnRnE", "nGnRE", "nGRE", "GRE"][Number(attr >> 2n) & 3]}`;
  return `arm:Normal-0x${attr.toString(16)}`;
}

/**
 * Translate `va` with TTBR0_EL1 / TCR_EL1 / MAIR_EL1 from `registers`.
 * Rights: writable = AP[2] clear and no APTable[1] above; user = AP[1] set and
 * no APTable[0] above; executable = !UXN (user pages) or !PXN (privileged pages),
 * with the table-level XN bits ORed in. AF clear faults unless TCR_EL1.HA is set.
 */
export function walkVmsaV8_64(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult {
  const tcr = registers.tcr_el1 ?? 0n;
  const ttbr = registers.ttbr0_el1 ?? 0n;
  const mair = registers.mair_el1 ?? 0n;
  const fail = (fault: Fault, level: number, reason: string): WalkResult => ({ kind: "fault", va, fault, level, reason });

  const t0sz = Number(bits(tcr, 5, 0));
  const inputSize = 64 - t0sz;
  if (inputSize > 48 || inputSize < 16) return fail("configuration", 0, `T0SZ ${t0sz} out of range`);
  if (bits(tcr, 7, 7) === 1n) return fail("translation", 0, "TCR_EL1.EPD0 set: TTBR0 walks disabled");
  const tg0 = Number(bits(tcr, 15, 14));
  const granuleBits = tg0 === 0 ? 12 : tg0 === 1 ? 16 : tg0 === 2 ? 14 : 0;
  if (granuleBits === 0) return fail("configuration", 0, "reserved TG0 value");
  const paBits = PA_BITS[Number(bits(tcr, 34, 32))] ?? 48;
  const hardwareAf = bits(tcr, 39, 39) === 1n;
  if (va < 0n || va >> BigInt(inputSize) !== 0n) return fail("translation", 0, `address outside the ${inputSize}-bit TTBR0 region`);

  const stride = granuleBits - 3;
  const levelsNeeded = Math.ceil((inputSize - granuleBits) / stride);
  const startLevel = 4 - levelsNeeded;
  const oaMask = ((1n << 48n) - 1n) & ~((1n << BigInt(granuleBits)) - 1n); // OA[47:granule]
  // TTBR0_EL1.BADDR: bits 47:1, the table aligned to its own size (>= 64 bytes).
  let table = ttbr & ((1n << 48n) - 1n) & ~1n;
  let noWrite = false;
  let noUser = false;
  let pxnTable = false;
  let uxnTable = false;

  for (let level = startLevel; level <= 3; level++) {
    const lsb = granuleBits + stride * (3 - level);
    const msb = Math.min(lsb + stride, inputSize) - 1;
    const index = bits(va, msb, lsb);
    const at = table + index * 8n;
    const d = readTableEntry(memory, at, 8);
    if (d === undefined) return fail("bus", level, `descriptor at 0x${at.toString(16)} is not in memory`);
    if ((d & 1n) === 0n) return fail("translation", level, "invalid descriptor");
    const isTableOrPage = (d & 2n) === 2n;
    const out = d & oaMask;
    if (bits(d, 51, 48) !== 0n || out >> BigInt(paBits) !== 0n) return fail("address-size", level, `output address beyond ${paBits} bits`);
    if (level < 3 && isTableOrPage) {
      noWrite ||= bits(d, 62, 62) === 1n;
      noUser ||= bits(d, 61, 61) === 1n;
      uxnTable ||= bits(d, 60, 60) === 1n;
      pxnTable ||= bits(d, 59, 59) === 1n;
      table = out;
      continue;
    }
    if (level === 3 && !isTableOrPage) return fail("translation", level, "block descriptor at level 3 is reserved");
    // Blocks: 4K granule at levels 1 and 2, 16K/64K granules at level 2 only (without FEAT_LPA/LPA2).
    if (level < 3 && !(level === 2 || (level === 1 && granuleBits === 12))) return fail("translation", level, `block descriptor not allowed at level ${level}`);
    if (bits(d, 10, 10) === 0n && !hardwareAf) return fail("access-flag", level, "AF clear");
    // UXN (bit 54) binds EL0 pages, PXN (bit 53) privileged ones; the table-level bits are ORed in.
    const executable = (user: boolean) => (user ? bits(d, 54, 54) === 0n && !uxnTable : bits(d, 53, 53) === 0n && !pxnTable);
    return longDescriptorLeaf(va, d, out, lsb, level, { noUser, noWrite }, executable, mair, memoryType);
  }
  return fail("translation", 3, "unreachable");
}
