/**
 * ELF files produced by GNU as/ld (the cross binutils) parsed and compared with
 * what readelf says about the same file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ELF_IMAGE_FORMAT, ElfFile, sectionTypeName } from "@handoff/core/elf";
import { XEN_ELF_IMAGE_FORMAT } from "@handoff/xen";
import { READELF, requireTool, run, tempDir } from "@handoff/test-support";

const dir = tempDir("handoff-binutils-");
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const load = (path: string) => ({ path, bytes: new Uint8Array(readFileSync(path)) });

/** A PVH kernel linked high with a Xen PHYS32_ENTRY note, as Linux does it. */
const PVH_SOURCE = `
  .section .text, "ax"
  .globl _start
_start:
  nop
pvh_start:
  hlt
  .section .data, "aw"
  .quad 0x1122334455667788
  .section .bss, "aw", @nobits
  .skip 0x2000
  .section .note.Xen, "a", @note
  .balign 4
  .long 4, 4, 18
  .asciz "Xen"
  .long pvh_start - 0xffffffff80000000
  .long 4, 6, 6
  .asciz "Xen"
  .asciz "linux"
  .balign 4
`;
const PVH_LDS = `
ENTRY(_start)
PHDRS { text PT_LOAD; data PT_LOAD; note PT_NOTE; }
SECTIONS {
  . = 0xffffffff81000000;
  .text : AT(0x1000000) { *(.text) } :text
  . = ALIGN(0x1000);
  .data : AT(0x1000000 + (ADDR(.data) - 0xffffffff81000000)) { *(.data) } :data
  .bss : { *(.bss) } :data
  .note.Xen : { *(.note.Xen) } :note
}
`;

interface ReadelfPhdr {
  type: string;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

function readelfPhdrs(path: string): ReadelfPhdr[] {
  const out = run(READELF, ["-lW", path]);
  return [...out.matchAll(/^\s+([A-Z_]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s/gm)].map((m) => ({
    type: m[1]!,
    offset: BigInt(m[2]!),
    vaddr: BigInt(m[3]!),
    paddr: BigInt(m[4]!),
    filesz: BigInt(m[5]!),
    memsz: BigInt(m[6]!),
  }));
}

describe("a PVH ELF linked by GNU ld (virt != phys, BSS, Xen note)", () => {
  it("parses to the segments and entry readelf shows", () => {
    if (!requireTool("x86_64-linux-gnu-as") || !requireTool("x86_64-linux-gnu-ld") || !requireTool(READELF)) return;
    run("x86_64-linux-gnu-as", ["-o", join(dir, "pvh.o"), file("pvh.S", PVH_SOURCE)]);
    run("x86_64-linux-gnu-ld", ["-T", file("pvh.lds", PVH_LDS), "-o", join(dir, "pvh.elf"), join(dir, "pvh.o")]);
    // Core's ELF format with Xen's note decoder (from @handoff/xen): the entry is PHYS32_ENTRY's.
    const image = XEN_ELF_IMAGE_FORMAT.parse(load(join(dir, "pvh.elf")));
    const loads = readelfPhdrs(join(dir, "pvh.elf")).filter((p) => p.type === "LOAD" && p.memsz > 0n);
    expect(image.segments.map((s) => [s.mem, s.vaddr ?? s.mem, s.bufsz, s.memsz])).toEqual(loads.map((p) => [p.paddr, p.vaddr, p.filesz, p.memsz]));
    expect(image.segments.some((s) => s.memsz > s.bufsz)).toBe(true); // .bss
    const sym = run("x86_64-linux-gnu-nm", [join(dir, "pvh.elf")]);
    const pvhStart = BigInt(`0x${/^([0-9a-f]+) t pvh_start$/m.exec(sym)![1]}`);
    expect(image.entry.phys).toBe(pvhStart - 0xffff_ffff_8000_0000n);
    expect(image.entry.virt).toBe(0xffff_ffff_8100_0000n);
    expect(image.metadata.xen).toMatchObject({ PHYS32_ENTRY: pvhStart - 0xffff_ffff_8000_0000n, GUEST_OS: "linux" });
  });
});

describe("ELF32 big-endian ARM linked by GNU ld", () => {
  it("parses with the byte order and addresses readelf shows", () => {
    if (!requireTool("arm-linux-gnueabihf-as") || !requireTool("arm-linux-gnueabihf-ld") || !requireTool(READELF)) return;
    const src = file("be.S", `.text\n.globl _start\n_start: mov r0, #1\n b _start\n.data\n.word 0xcafef00d\n.bss\n.space 64\n`);
    run("arm-linux-gnueabihf-as", ["-EB", "-o", join(dir, "be.o"), src]);
    run("arm-linux-gnueabihf-ld", ["-EB", "-Ttext=0x80008000", "-o", join(dir, "be.elf"), join(dir, "be.o")]);
    const image = ELF_IMAGE_FORMAT.parse(load(join(dir, "be.elf")));
    expect([image.format, image.machine, image.metadata.endianness]).toEqual(["ELF32", { scheme: "elf", value: 40 }, "big"]);
    expect(image.entry).toEqual({ phys: 0x8000_8000n, virt: 0x8000_8000n });
    const loads = readelfPhdrs(join(dir, "be.elf")).filter((p) => p.type === "LOAD" && p.memsz > 0n);
    expect(image.segments.map((s) => [s.mem, s.bufsz, s.memsz])).toEqual(loads.map((p) => [p.paddr, p.filesz, p.memsz]));
  });
});

describe.each([
  ["x86_64-linux-gnu", ".quad ext + 8\n call ext\n movl $local, %eax\n lea ext(%rip), %rax"],
  ["i686-linux-gnu", ".long ext + 8\n call ext\n movl $local, %eax"],
  ["aarch64-linux-gnu", ".xword ext + 8\n bl ext\n adrp x0, local\n add x0, x0, :lo12:local"],
  ["arm-linux-gnueabihf", ".word ext + 8\n bl ext\n movw r0, #:lower16:local\n movt r0, #:upper16:local"],
] as const)("ET_REL from %s-as", (triple, body) => {
  it("has the sections, symbols and relocations readelf lists", () => {
    if (!requireTool(`${triple}-as`) || !requireTool(READELF)) return;
    const obj = join(dir, `${triple}.o`);
    run(`${triple}-as`, ["-o", obj, file(`${triple}.S`, `.text\n.globl f\nf:\n ${body}\n.data\nlocal: .word 1\n.bss\n.space 16\n`)]);
    const elf = ElfFile.parse(load(obj));
    expect(elf.header.type).toBe(1);
    // Sections: "  [ 1] .text  PROGBITS  0000000000000000 000040 000020 00  AX  0   0  1"
    const shOut = run(READELF, ["-SW", obj]);
    const sections = [...shOut.matchAll(/^\s+\[\s*(\d+)\]\s+(\S*)\s+([A-Z_0-9]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)]
      .map((m) => [Number(m[1]), m[2], m[3], BigInt(`0x${m[5]}`), BigInt(`0x${m[6]}`)]);
    // Processor-specific types (ARM_ATTRIBUTES...) are compared by readelf's name only when we name them.
    expect(elf.sections.map((s, i) => [s.index, s.name, s.type >= 0x70000000 ? sections[i]![2] : sectionTypeName(s.type), s.offset, s.size])).toEqual(
      sections.map((s) => (s[0] === 0 ? [0, "", "NULL", 0n, 0n] : s)),
    );
    // Symbols: "     3: 0000000000000000     0 NOTYPE  GLOBAL DEFAULT    1 f"
    const symOut = run(READELF, ["-sW", obj]);
    const symbols = [...symOut.matchAll(/^\s+(\d+):\s+([0-9a-f]+)\s+(\d+)\s+\w+\s+\w+\s+\w+\s+(\w+)\s?(\S*)$/gm)].map((m) => [
      Number(m[1]), BigInt(`0x${m[2]}`), BigInt(m[3]!), m[4] === "UND" ? 0 : m[4] === "ABS" ? 0xfff1 : Number(m[4]), m[5],
    ]);
    const symtab = elf.symbolTableSection()!;
    const ours = elf.symbols(symtab).map((s) => [s.index, s.value, s.size, s.shndx, s.type === 3 ? sections[s.shndx]![1] ?? "" : s.name]);
    expect(ours.map((s) => [s[0], s[1], s[2], s[3]])).toEqual(symbols.map((s) => [s[0], s[1], s[2], s[3]]));
    expect(ours.filter((s) => s[4] === "f" || s[4] === "ext").length).toBe(2);
    // Relocations: "0000000000000000  0000000500000001 R_X86_64_64  0000000000000000 ext + 8"
    const relOut = run(READELF, ["-rW", obj]);
    const relocs = [...relOut.matchAll(/^([0-9a-f]{8,16})\s+([0-9a-f]{8,16})\s+(R_\w+)/gm)].map((m) => [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`)]);
    const bits = BigInt(elf.header.elfClass === 64 ? 32 : 8);
    const oursRel = elf.relocationSections().flatMap((rs) => rs.entries.map((e) => [e.offset, (BigInt(e.symbol) << bits) | BigInt(e.type)]));
    expect(oursRel).toEqual(relocs);
    expect(relocs.length).toBeGreaterThanOrEqual(3);
  });
});
