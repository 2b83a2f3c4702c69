/**
 * Links one relocatable object (ET_REL, e.g. a kexec purgatory) to a load
 * address: places its sections, resolves its symbols (including ones set from
 * outside), and applies every relocation through the architecture's Relocator.
 *
 * Layout, as GNU ld's default script orders them: all executable sections
 * (.text...), then read-only data (.rodata...), then writable data (.data...),
 * then NOBITS (.bss...); inside each group in section-header order. Each group
 * starts aligned to the largest alignment of its members, each section to its
 * own sh_addralign; padding is zero bytes (GNU ld fills code padding with NOPs
 * unless told `=0`). Allocated notes are not loaded; non-allocated sections
 * (debug, comments) are ignored, and so are relocations that apply to them.
 */
import { HandoffError } from "../errors.js";
import type { ElfFile } from "../elf/elf-file.js";
import { elfMachineName, type MachineIdentity } from "../machine.js";
import {
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_FINI_ARRAY,
  SHT_INIT_ARRAY,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_PROGBITS,
  SHT_SYMTAB,
  sectionFieldOffset,
  type SectionHeader,
} from "../elf/sections.js";
import { STB_LOCAL, STB_WEAK, STT_FUNC, STT_OBJECT, STT_NOTYPE, type ElfSymbol } from "../elf/symbols.js";
import { ET_REL } from "../elf/elf-header.js";
import { LinkError, RelocationError, type RelocationLocation } from "./link-errors.js";
import { RelocationValueError, type Relocator } from "./relocator.js";

/** The order sections are laid out in. */
export type SectionGroup = "text" | "rodata" | "data" | "bss";
const GROUPS: readonly SectionGroup[] = ["text", "rodata", "data", "bss"];

/** How to link: the base address, the relocator of the target and symbols defined from outside. */
export interface LinkOptions {
  /** Address the first section group is placed at (aligned up to its alignment). */
  readonly base: bigint;
  readonly relocator: Relocator;
  /**
   * Symbols set from outside. An undefined symbol of that name is defined to the
   * value (like `ld --defsym`); a defined data object (STT_OBJECT/NOTYPE of 1, 2,
   * 4 or 8 bytes in loaded PROGBITS) gets the value stored in it, which is how
   * kexec-tools hands values to purgatory.
   */
  readonly set?: ReadonlyMap<string, bigint>;
  /** Largest output (file bytes from base) the linker will allocate. Default 256 MiB. */
  readonly maxOutputBytes?: number;
  /** Architectures whose declared machine names the linker's messages use (e_machine numbers otherwise). */
  readonly architectures?: readonly MachineIdentity[];
}

/** Where one input section went. */
export interface PlacedSection {
  readonly index: number;
  readonly name: string;
  readonly group: SectionGroup;
  readonly addr: bigint;
  readonly size: bigint;
  readonly alignment: bigint;
}

/** A linked object: its memory image from `base`, the placed sections and the final symbol values. */
export interface LinkedObject {
  readonly base: bigint;
  /** Memory image from `base` to the end of the last section with file bytes (BSS excluded). */
  readonly bytes: Uint8Array;
  /** Bytes from `base` to the end of the last section, BSS included. */
  readonly memsz: bigint;
  readonly sections: readonly PlacedSection[];
  /** Defined global and weak symbols, and the ones set from outside, by name (Thumb functions keep bit 0). */
  readonly symbols: ReadonlyMap<string, bigint>;
  readonly relocationsApplied: number;
}

const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024;

function groupOf(s: SectionHeader): SectionGroup | undefined {
  if ((s.flags & SHF_ALLOC) === 0n || s.type === SHT_NOTE) return undefined;
  if (s.type === SHT_NOBITS) return "bss";
  if (s.flags & SHF_EXECINSTR) return "text";
  return s.flags & SHF_WRITE ? "data" : "rodata";
}

/** Link `elf` (an ET_REL object) at `options.base`. */
export function linkObject(elf: ElfFile, options: LinkOptions): LinkedObject {
  const r = elf.reader;
  const bits = elf.header.elfClass;
  const file = elf.path;
  const relocator = options.relocator;
  if (elf.header.type !== ET_REL) throw r.error("e_type", 16, "not a relocatable object (ET_REL); only objects can be linked");
  if (elf.header.machine !== relocator.elfMachine) {
    const named = (machine: number) => elfMachineName(machine, options.architectures);
    throw r.error("e_machine", 18, `${named(elf.header.machine)} object cannot be linked with the ${named(relocator.elfMachine)} relocator`);
  }
  const space = 1n << BigInt(bits);
  if (options.base < 0n || options.base >= space) throw new LinkError(file, `load address 0x${options.base.toString(16)} does not fit ELF${bits}`);

  // 1. Place the sections.
  const placed = new Map<number, PlacedSection>();
  let addr = options.base;
  let fileEnd = options.base;
  for (const group of GROUPS) {
    const members: { s: SectionHeader; alignment: bigint }[] = [];
    for (const s of elf.sections) {
      if (groupOf(s) !== group) continue;
      if (s.type !== SHT_PROGBITS && s.type !== SHT_NOBITS && s.type !== SHT_INIT_ARRAY && s.type !== SHT_FINI_ARRAY) {
        throw r.error(`shdr[${s.index}].sh_type`, sectionFieldOffset(s, bits, "sh_type"), `allocated section '${s.name}' of type 0x${s.type.toString(16)} cannot be placed`);
      }
      const alignment = s.addralign <= 1n ? 1n : s.addralign;
      if ((alignment & (alignment - 1n)) !== 0n || alignment > space / 2n) {
        throw r.error(`shdr[${s.index}].sh_addralign`, sectionFieldOffset(s, bits, "sh_addralign"), `${s.addralign} is not a usable power of two`);
      }
      members.push({ s, alignment });
    }
    if (members.length === 0) continue;
    addr = alignUp(addr, members.reduce((m, x) => (x.alignment > m ? x.alignment : m), 1n));
    for (const { s, alignment } of members) {
      addr = alignUp(addr, alignment);
      placed.set(s.index, { index: s.index, name: s.name, group, addr, size: s.size, alignment });
      addr += s.size;
      if (addr > space) throw new LinkError(file, `section '${s.name}' ends at 0x${addr.toString(16)}, past the ELF${bits} address space`);
      if (group !== "bss") fileEnd = addr;
    }
  }
  const memsz = addr - options.base;
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  if (fileEnd - options.base > BigInt(maxOutput)) {
    throw new LinkError(file, `linked image would be 0x${(fileEnd - options.base).toString(16)} bytes, more than the limit of 0x${maxOutput.toString(16)}`);
  }
  if (memsz > elf.limits.maxSegmentMemory) {
    throw new LinkError(file, `linked image needs 0x${memsz.toString(16)} bytes of memory, more than the limit of 0x${elf.limits.maxSegmentMemory.toString(16)}`);
  }
  const out = new Uint8Array(Number(fileEnd - options.base));
  for (const p of placed.values()) {
    if (p.group === "bss" || p.size === 0n) continue;
    out.set(elf.sectionBytes(elf.sections[p.index]!), Number(p.addr - options.base));
  }

  // 2. Symbols.
  const symtabs = new Map<number, ElfSymbol[]>();
  const symbolsOf = (index: number, field: string, fieldOffset: number): ElfSymbol[] => {
    let syms = symtabs.get(index);
    if (!syms) {
      const s = elf.section(index, field, fieldOffset);
      if (s.type !== SHT_SYMTAB) throw r.error(field, fieldOffset, `section ${index} is not a symbol table`);
      syms = elf.symbols(s);
      symtabs.set(index, syms);
    }
    return syms;
  };
  const set = options.set ?? new Map<string, bigint>();
  const mainSymtab = elf.symbolTableSection();
  const mainSymbols = mainSymtab ? symbolsOf(mainSymtab.index, "symtab", mainSymtab.headerOffset) : [];
  for (const name of set.keys()) {
    if (!mainSymbols.some((s) => s.name === name && s.bind !== STB_LOCAL) && !mainSymbols.some((s) => s.name === name)) {
      throw new LinkError(file, `--set ${name}: the object has no symbol of that name`);
    }
  }

  /** S for `sym`, or a reason it has none. */
  const symbolValue = (sym: ElfSymbol): bigint => {
    const name = sym.name || `#${sym.index}`;
    if (sym.shndx === SHN_UNDEF) {
      if (sym.index === 0) return 0n;
      const v = set.get(sym.name);
      if (v !== undefined) return v;
      if (sym.bind === STB_WEAK) return 0n; // an undefined weak symbol resolves to 0, as in ld
      throw new RelocationValueError(`undefined symbol '${name}' (define it with --set ${name}=VALUE)`);
    }
    if (sym.shndx === SHN_ABS) return sym.value;
    if (sym.shndx === SHN_COMMON) throw new RelocationValueError(`COMMON symbol '${name}' has no storage (put it in .bss)`);
    if (sym.shndx === SHN_XINDEX) throw new RelocationValueError(`symbol '${name}' uses SHN_XINDEX, which is not supported`);
    if (sym.shndx >= SHN_LORESERVE) throw new RelocationValueError(`symbol '${name}' has reserved section index 0x${sym.shndx.toString(16)}`);
    if (sym.shndx >= elf.sections.length) {
      throw new RelocationValueError(`symbol '${name}' refers to section index ${sym.shndx}, out of range (${elf.sections.length} sections)`);
    }
    const p = placed.get(sym.shndx);
    if (!p) throw new RelocationValueError(`symbol '${name}' is in section '${elf.sections[sym.shndx]!.name}', which is not loaded`);
    return p.addr + sym.value;
  };

  // 3. Relocations.
  const little = elf.header.endianness === "little";
  let applied = 0;
  for (const rs of elf.relocationSections()) {
    const secField = `section ${rs.section.index} (${rs.section.name}).sh_info`;
    const target = elf.section(rs.target, secField, sectionFieldOffset(rs.section, bits, "sh_info"));
    const targetPlace = placed.get(target.index);
    if (!targetPlace) {
      if (groupOf(target) === undefined) continue; // relocations of debug info and the like: not loaded
      throw r.error(secField, sectionFieldOffset(rs.section, bits, "sh_info"), `target section '${target.name}' is not placed`);
    }
    const syms = symbolsOf(rs.symbolTable, `section ${rs.section.index} (${rs.section.name}).sh_link`, sectionFieldOffset(rs.section, bits, "sh_link"));
    for (const e of rs.entries) {
      const loc: RelocationLocation = {
        file,
        section: rs.section.name || `section ${rs.section.index}`,
        index: e.index,
        offset: e.offset,
        type: e.type,
        typeName: relocator.types.get(e.type) ?? `type ${e.type}`,
      };
      const size = relocator.fieldSize(e.type);
      if (size === undefined) throw new RelocationError(loc, `unknown relocation type ${e.type} for ${elfMachineName(relocator.elfMachine, options.architectures)}`);
      if (size === 0) continue; // R_*_NONE
      if (targetPlace.group === "bss") throw new RelocationError(loc, `relocates NOBITS section '${target.name}', which has no bytes`);
      if (e.offset + BigInt(size) > target.size) {
        throw new RelocationError(loc, `${size}-byte field at 0x${e.offset.toString(16)} runs past the end of '${target.name}' (0x${target.size.toString(16)} bytes)`);
      }
      const sym = syms[e.symbol];
      if (!sym) throw new RelocationError(loc, `symbol index ${e.symbol} is out of range (${syms.length} symbols)`);
      const at = Number(targetPlace.addr - options.base + e.offset);
      const field = out.subarray(at, at + size);
      try {
        const S = symbolValue(sym);
        const A = rs.withAddend ? e.addend : relocator.implicitAddend(e.type, field, little);
        relocator.apply({ type: e.type, place: targetPlace.addr + e.offset, symbol: S, symbolIsFunction: sym.type === STT_FUNC, addend: A, field, littleEndian: little });
      } catch (error) {
        if (error instanceof RelocationError || !(error instanceof HandoffError)) throw error;
        const reason = error instanceof RelocationValueError ? error.reason : error.message;
        throw new RelocationError(loc, `${reason}${sym.name && !reason.includes(`'${sym.name}'`) ? ` (symbol '${sym.name}')` : ""}`, { cause: error });
      }
      applied++;
    }
  }

  // 4. Values set from outside into defined data objects (after relocation, so nothing overwrites them).
  const globals = new Map<string, bigint>();
  for (const sym of mainSymbols) {
    if (sym.bind === STB_LOCAL || !sym.name || sym.shndx === SHN_UNDEF) continue;
    if (sym.shndx === SHN_ABS) globals.set(sym.name, sym.value);
    else {
      const p = placed.get(sym.shndx);
      if (p) globals.set(sym.name, p.addr + sym.value);
    }
  }
  for (const [name, value] of set) {
    const sym = mainSymbols.find((s) => s.name === name && s.bind !== STB_LOCAL) ?? mainSymbols.find((s) => s.name === name)!;
    if (sym.shndx === SHN_UNDEF) {
      globals.set(name, value);
      continue;
    }
    const p = placed.get(sym.shndx);
    const size = Number(sym.size);
    if (!p || p.group === "bss" || (sym.type !== STT_OBJECT && sym.type !== STT_NOTYPE) || ![1, 2, 4, 8].includes(size)) {
      throw new LinkError(file, `--set ${name}: only an undefined symbol or a 1/2/4/8-byte data object in loaded, initialised data can be set (it is ${describeSymbol(sym, elf)})`);
    }
    const max = 1n << BigInt(size * 8);
    if (value < -(max / 2n) || value >= max) throw new LinkError(file, `--set ${name}: 0x${value.toString(16)} does not fit its ${size} bytes`);
    if (sym.value + BigInt(size) > p.size) throw new LinkError(file, `--set ${name}: its ${size} bytes run past the end of '${p.name}'`);
    const at = Number(p.addr - options.base + sym.value);
    let v = BigInt.asUintN(size * 8, value);
    for (let i = 0; i < size; i++) {
      out[little ? at + i : at + size - 1 - i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  return { base: options.base, bytes: out, memsz, sections: [...placed.values()], symbols: globals, relocationsApplied: applied };
}

function describeSymbol(sym: ElfSymbol, elf: ElfFile): string {
  const kind = sym.type === STT_FUNC ? "a function" : sym.type === STT_OBJECT ? `a ${sym.size}-byte object` : `of type ${sym.type}, ${sym.size} bytes`;
  const where = sym.shndx < elf.sections.length ? ` in '${elf.sections[sym.shndx]!.name}'` : "";
  return `${kind}${where}`;
}

function alignUp(value: bigint, alignment: bigint): bigint {
  const rem = value % alignment;
  return rem === 0n ? value : value + alignment - rem;
}
