import { readTableEntry, type PhysicalMemory, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";
import { longDescriptorLeaf } from "@handoff/arm";

/*
 * ARMv7-A stage 1 translation of a TTBR0 address, reading descriptors from memory
 * as the MMU does (ARM DDI 0406C): short-descriptor B3.5 with domains (B3.7.3),
 * AP[2:0] (B3.7.1, SCTLR.AFE = 0) and TEX/C/B memory types (B3.8.2, SCTLR.TRE = 0);
 * long-descriptor B3.6 with MAIR0/1. TTBCR.EAE picks the format. Written apart
 * from the table builder: no shared helpers.
 */

type Fault = Exclude<WalkResult, { kind: "translation" }>["fault"];
const field = (v: bigint, hi: number, lo: number) => (v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
const on = (v: bigint, n: number) => ((v >> BigInt(n)) & 1n) === 1n;

/** TEX[2:0]:C:B -> memory type with TEX remap off (B3.8.2, table B3-10). */
function texcb(tex: bigint, c: boolean, b: boolean): string {
  const cb = (c ? 2 : 0) | (b ? 1 : 0);
  if (tex === 0n) return ["device", "arm:Device-shareable", "arm:Normal-WT", "arm:Normal-WB-noWA"][cb]!;
  if (tex === 1n) return cb === 3 ? "normal" : cb === 0 ? "arm:Normal-NC" : "arm:reserved";
  if (tex === 2n) return cb === 0 ? "arm:Device-non-shareable" : "arm:reserved";
  if (tex >= 4n) return `arm:Normal-inner${cb}-outer${Number(tex & 3n)}`;
  return "arm:reserved";
}

function mairType(attr: bigint): string {
  if (attr === 0xffn) return "normal";
  if (attr === 0x00n) return "device";
  if ((attr & 0xf0n) === 0n) return "arm:Device";
  return `arm:Normal-0x${attr.toString(16)}`;
}

/** Translate `va` with ttbcr/ttbr0/dacr (short) or ttbcr/ttbr0/mair0/mair1 (LPAE), and sctlr if given. */
export function walkArmV7(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint): WalkResult {
  const ttbcr = registers.ttbcr ?? 0n;
  const sctlr = registers.sctlr ?? 0n;
  const fail = (fault: Fault, level: number, reason: string): WalkResult => ({ kind: "fault", va, fault, level, reason });
  if (va < 0n || va > 0xffff_ffffn) return fail("translation", 1, "not a 32-bit address");
  if (on(ttbcr, 31)) return walkLong(memory, registers, va, fail);
  if (on(sctlr, 28)) return fail("configuration", 1, "SCTLR.TRE set: TEX remap (PRRR/NMRR) not modelled");
  if (on(sctlr, 29)) return fail("configuration", 1, "SCTLR.AFE set: access-flag permission model not modelled");
  return walkShort(memory, registers, va, fail);
}

type Fail = (fault: Fault, level: number, reason: string) => WalkResult;

function walkShort(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint, fail: Fail): WalkResult {
  const n = Number(field(registers.ttbcr ?? 0n, 2, 0));
  const dacr = registers.dacr ?? 0n;
  if (n > 0 && va >> BigInt(32 - n) !== 0n) return fail("translation", 1, "address in the TTBR1 region (not modelled)");
  if (on(registers.ttbcr ?? 0n, 4)) return fail("translation", 1, "TTBCR.PD0 set: TTBR0 walks disabled");
  const ttbr0 = registers.ttbr0 ?? 0n;
  const l1Base = ttbr0 & 0xffff_ffffn & ~((1n << BigInt(14 - n)) - 1n);
  const l1At = l1Base | (field(va, 31 - n, 20) << 2n);
  const l1 = readTableEntry(memory, l1At, 4);
  if (l1 === undefined) return fail("bus", 1, `first-level descriptor at 0x${l1At.toString(16)} is not in memory`);
  const type = Number(l1 & 3n);
  if (type === 0) return fail("translation", 1, "section translation fault (first-level descriptor 0b00)");

  let domain: bigint;
  let pa: bigint;
  let pageSize: bigint;
  let level: number;
  let ap: number;
  let xn: boolean;
  let pxn: boolean;
  let tex: bigint;
  let c: boolean;
  let b: boolean;
  if (type === 1) {
    domain = field(l1, 8, 5);
    pxn = on(l1, 2);
    const l2At = (l1 & 0xffff_fc00n) | (field(va, 19, 12) << 2n);
    const l2 = readTableEntry(memory, l2At, 4);
    if (l2 === undefined) return fail("bus", 2, `second-level descriptor at 0x${l2At.toString(16)} is not in memory`);
    level = 2;
    const t2 = Number(l2 & 3n);
    if (t2 === 0) return fail("translation", 2, "page translation fault (second-level descriptor 0b00)");
    b = on(l2, 2);
    c = on(l2, 3);
    ap = Number(field(l2, 5, 4)) | (on(l2, 9) ? 4 : 0);
    if (t2 === 1) {
      // Large page, 64 KiB: base [31:16], TEX [14:12], XN bit 15.
      pageSize = 0x1_0000n;
      pa = (l2 & 0xffff_0000n) | (va & 0xffffn);
      tex = field(l2, 14, 12);
      xn = on(l2, 15);
    } else {
      pageSize = 0x1000n;
      pa = (l2 & 0xffff_f000n) | (va & 0xfffn);
      tex = field(l2, 8, 6);
      xn = on(l2, 0);
    }
  } else {
    level = 1;
    pxn = type === 3; // bit 0 of a section descriptor is PXN
    b = on(l1, 2);
    c = on(l1, 3);
    xn = on(l1, 4);
    ap = Number(field(l1, 11, 10)) | (on(l1, 15) ? 4 : 0);
    tex = field(l1, 14, 12);
    if (on(l1, 18)) {
      // Supersection: 16 MiB, PA[31:24] = [31:24], PA[35:32] = [23:20], PA[39:36] = [8:5]; domain 0.
      domain = 0n;
      pageSize = 0x100_0000n;
      pa = (l1 & 0xff00_0000n) | (field(l1, 23, 20) << 32n) | (field(l1, 8, 5) << 36n) | (va & 0xff_ffffn);
    } else {
      domain = field(l1, 8, 5);
      pageSize = 0x10_0000n;
      pa = (l1 & 0xfff0_0000n) | (va & 0xf_ffffn);
    }
  }

  const access = Number(field(dacr, Number(domain) * 2 + 1, Number(domain) * 2));
  if (access === 0 || access === 2) return fail("domain", level, `domain ${domain} is ${access === 0 ? "No access" : "reserved"} in DACR`);
  const memoryType = texcb(tex, c, b);
  if (access === 3) {
    // Manager: no permission checks at all (B3.7.3).
    return { kind: "translation", va, pa, pageSize, level, attributes: { writable: true, executable: true, user: true, memoryType } };
  }
  // AP[2:0], SCTLR.AFE = 0 (table B3-8): [PL1 write, PL0 read, PL0 write].
  const perms: Record<number, [boolean, boolean, boolean] | undefined> = {
    1: [true, false, false],
    2: [true, true, false],
    3: [true, true, true],
    5: [false, false, false],
    6: [false, true, false],
    7: [false, true, false],
  };
  const p = perms[ap];
  if (!p) return fail("permission", level, `AP[2:0] = ${ap.toString(2).padStart(3, "0")}: no access or reserved`);
  const user = p[1];
  const writable = user ? p[2] : p[0];
  const executable = user ? !xn : !(xn || pxn);
  return { kind: "translation", va, pa, pageSize, level, attributes: { writable, executable, user, memoryType } };
}

function walkLong(memory: PhysicalMemory, registers: TranslationRegisters, va: bigint, fail: Fail): WalkResult {
  const ttbcr = registers.ttbcr ?? 0n;
  const t0sz = Number(field(ttbcr, 2, 0));
  const t1sz = Number(field(ttbcr, 18, 16));
  if (t0sz > 0 && va >> BigInt(32 - t0sz) !== 0n) return fail("translation", 1, "address outside the TTBR0 region");
  if (t0sz === 0 && t1sz > 0 && va >= (1n << 32n) - (1n << BigInt(32 - t1sz))) return fail("translation", 1, "address in the TTBR1 region (not modelled)");
  if (on(ttbcr, 7)) return fail("translation", 1, "TTBCR.EPD0 set: TTBR0 walks disabled");
  const mair = (field(registers.mair1 ?? 0n, 31, 0) << 32n) | field(registers.mair0 ?? 0n, 31, 0);
  // Start at level 1 when T0SZ <= 1 (x = 5 - T0SZ), else at level 2 (x = 14 - T0SZ) (B3.6.6).
  const startLevel = t0sz <= 1 ? 1 : 2;
  const x = startLevel === 1 ? 5 - t0sz : 14 - t0sz;
  let table = (registers.ttbr0 ?? 0n) & ((1n << 40n) - 1n) & ~((1n << BigInt(x)) - 1n);
  let noWrite = false;
  let noUser = false;
  let xnTable = false;
  let pxnTable = false;
  for (let level = startLevel; level <= 3; level++) {
    const lsb = 12 + 9 * (3 - level);
    const msb = level === startLevel ? 31 - t0sz : lsb + 8;
    const at = table + field(va, msb, lsb) * 8n;
    const d = readTableEntry(memory, at, 8);
    if (d === undefined) return fail("bus", level, `descriptor at 0x${at.toString(16)} is not in memory`);
    if (!on(d, 0)) return fail("translation", level, "invalid descriptor");
    if (field(d, 47, 40) !== 0n) return fail("address-size", level, "output address beyond 40 bits");
    const out = d & 0xff_ffff_f000n;
    if (level < 3 && on(d, 1)) {
      noWrite ||= on(d, 62);
      noUser ||= on(d, 61);
      xnTable ||= on(d, 60);
      pxnTable ||= on(d, 59);
      table = out;
      continue;
    }
    if (level === 3 && !on(d, 1)) return fail("translation", 3, "reserved descriptor (0b01) at level 3");
    if (!on(d, 10)) return fail("access-flag", level, "AF clear");
    // XN (bit 54) binds every mode, PXN (bit 53) PL1 only; the table-level bits are ORed in.
    const xn = on(d, 54) || xnTable;
    const executable = (user: boolean) => (user ? !xn : !(xn || on(d, 53) || pxnTable));
    return longDescriptorLeaf(va, d, out, lsb, level, { noUser, noWrite }, executable, mair, mairType);
  }
  return fail("translation", 3, "unreachable");
}
