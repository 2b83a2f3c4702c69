import type { RegisterFile } from "@handoff/core";
import { RegisterDumpError } from "./errors.js";

/**
 * How one architecture's `info registers` text maps to its register names, for
 * architectures this package has no built-in dialect for (third-party plugins).
 * Plain data, so a plugin can supply it without depending on this package.
 */
export interface InfoRegistersDialect {
  /**
   * How a value follows its printed name: `name=value` (`RAX=...`, `X00=...`;
   * padding before `=` allowed) or `name value` (whitespace between, as
   * target/riscv prints `pc       0000000080200000`).
   */
  readonly separator: "=" | "whitespace";
  /**
   * Printed name -> register name in the arch's register file; every one must
   * be in the dump. An optional mask keeps only the printed value's bits that
   * the register holds (a view such as RISC-V sstatus, printed as mstatus).
   */
  readonly registers: readonly (readonly [printed: string, register: string] | readonly [printed: string, register: string, mask: bigint])[];
  /** Name of the program-counter register (for `waitForPc`); default `pc`. */
  readonly pc?: string;
}

/**
 * What the parser needs of an architecture: its id, a fresh register file
 * (from the arch package) and, for an arch without a built-in dialect, how
 * QEMU prints its registers.
 */
export interface RegisterFileSource {
  readonly id: string;
  /** A new register file over this architecture's register table. */
  createRegisterFile(): RegisterFile;
  readonly qemuInfoRegisters?: InfoRegistersDialect;
}

/** Registers read from one `info registers` dump. */
export interface ObservedRegisters {
  /** The arch package's register file, holding what QEMU printed; the rest stays zero. */
  readonly file: RegisterFile;
  /** Full-width register names whose value (or low part) QEMU printed, in print order. */
  readonly reported: readonly string[];
  /** The dump's own text (first CPU), for reports. */
  readonly text: string;
}

const HEX = "([0-9a-fA-F]+)";

/** The first CPU's block of a multi-CPU dump (`CPU#0` ... up to `CPU#1`). */
function firstCpu(text: string): string {
  const t = text.replace(/\r\n/g, "\n");
  const start = t.indexOf("CPU#0");
  const from = start >= 0 ? t.slice(start) : t;
  const next = from.indexOf("CPU#", 4);
  return next > 0 ? from.slice(0, next) : from;
}

function field(arch: string, text: string, name: string, required = true, separator: "=" | "whitespace" = "="): bigint | undefined {
  // Names are printed as `NAME=` with optional padding before '=' (`R8 =`), or `name   value`.
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`(?:^|[\\s])${escaped}${separator === "=" ? " *=" : "\\s+"}${HEX}(?![0-9a-fA-F])`, "m");
  const m = re.exec(text);
  if (!m) {
    if (required) throw new RegisterDumpError(arch, name, "not in the dump");
    return undefined;
  }
  return BigInt(`0x${m[1]}`);
}

/**
 * Parse QEMU's `info registers` (HMP) output into the arch package's register
 * file. Dialects (QEMU 7.2 target/{i386,arm}/ *dump*): x86 prints `RAX=` in
 * 64-bit mode and `EAX=` otherwise, segments as `CS =sel base limit flags`
 * where flags are descriptor bits 8..23 of its second word (we keep bits
 * 40..55 of the descriptor, i.e. flags >> 8); arm64 `X00=`..`X30=`, `SP=`,
 * `PC=`, `PSTATE=`; arm32 `R00=`..`R15=`, `PSR=`.
 */
export function parseInfoRegisters(text: string, arch: RegisterFileSource): ObservedRegisters {
  const block = firstCpu(text);
  const file = arch.createRegisterFile();
  const reported: string[] = [];
  const put = (name: string, value: bigint) => {
    file.set(name, value);
    const full = file.spec(name).alias?.of ?? name;
    if (!reported.includes(full)) reported.push(full);
  };
  switch (arch.id) {
    case "arm64": {
      for (let i = 0; i <= 30; i++) put(`x${i}`, field("arm64", block, `X${String(i).padStart(2, "0")}`)!);
      put("sp", field("arm64", block, "SP")!);
      put("pc", field("arm64", block, "PC")!);
      put("pstate", field("arm64", block, "PSTATE")!);
      break;
    }
    case "arm32": {
      for (let i = 0; i <= 15; i++) put(`r${i}`, field("arm32", block, `R${String(i).padStart(2, "0")}`)!);
      put("cpsr", field("arm32", block, "PSR")!);
      break;
    }
    case "x86_64":
    case "x86_32":
      parseX86(block, arch.id, file, put);
      break;
    default: {
      const dialect = arch.qemuInfoRegisters;
      if (!dialect) throw new RegisterDumpError(arch.id, "arch", "no info-registers dialect for this architecture (built in, or the arch's qemuInfoRegisters)");
      for (const [printed, register, mask] of dialect.registers) {
        const value = field(arch.id, block, printed, true, dialect.separator)!;
        put(register, mask === undefined ? value : value & mask);
      }
    }
  }
  return { file, reported, text: block };
}

const GPRS = ["ax", "bx", "cx", "dx", "si", "di", "bp", "sp"];
const SEGMENTS: readonly [printed: string, name: string][] = [
  ["ES", "es"],
  ["CS", "cs"],
  ["SS", "ss"],
  ["DS", "ds"],
  ["FS", "fs"],
  ["GS", "gs"],
  ["LDT", "ldtr"],
  ["TR", "tr"],
];

function parseX86(block: string, arch: string, file: RegisterFile, put: (name: string, value: bigint) => void): void {
  const wideFile = file.has("rax");
  const wideDump = /(?:^|\s)RAX=/m.test(block);
  if (wideDump && !wideFile) throw new RegisterDumpError(arch, "RAX", "a 64-bit dump cannot be read into a 32-bit register file");
  if (wideDump) {
    for (const g of GPRS) put(`r${g}`, field(arch, block, `R${g.toUpperCase()}`)!);
    for (let i = 8; i <= 15; i++) put(`r${i}`, field(arch, block, `R${i}`)!);
    put("rip", field(arch, block, "RIP")!);
    put("rflags", field(arch, block, "RFL")!);
  } else {
    // Not in 64-bit mode: QEMU prints the low 32 bits only. On a 64-bit file the
    // upper halves are not observed: mark them UNKNOWN rather than claim zero.
    for (const g of GPRS) {
      put(`e${g}`, field(arch, block, `E${g.toUpperCase()}`)!);
      if (wideFile) file.markUnknown(`r${g}`, 0xffff_ffff_0000_0000n);
    }
    put("eip", field(arch, block, "EIP")!);
    put("eflags", field(arch, block, "EFL")!);
  }
  for (const [printed, name] of SEGMENTS) {
    const re = new RegExp(`^${printed} *=${HEX} +${HEX} +${HEX} +${HEX}`, "m");
    const m = re.exec(block);
    if (!m) throw new RegisterDumpError(arch, printed, "segment line not in the dump");
    put(name, BigInt(`0x${m[1]}`));
    put(`${name}_base`, BigInt(`0x${m[2]}`));
    put(`${name}_limit`, BigInt(`0x${m[3]}`));
    put(`${name}_attr`, (BigInt(`0x${m[4]}`) >> 8n) & 0xffffn);
  }
  for (const [printed, name] of [
    ["GDT", "gdtr"],
    ["IDT", "idtr"],
  ] as const) {
    const m = new RegExp(`^${printed}= +${HEX} +${HEX}`, "m").exec(block);
    if (!m) throw new RegisterDumpError(arch, printed, "descriptor-table line not in the dump");
    put(`${name}_base`, BigInt(`0x${m[1]}`));
    put(`${name}_limit`, BigInt(`0x${m[2]}`));
  }
  for (const cr of ["cr0", "cr2", "cr3", "cr4"]) put(cr, field(arch, block, cr.toUpperCase())!);
  const efer = field(arch, block, "EFER", false);
  if (efer !== undefined && file.has("efer")) put("efer", efer);
}
