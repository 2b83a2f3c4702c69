/**
 * Link an object with GNU ld the way handoff lays it out (see link/linker.ts:
 * .text, .rodata, .data, .bss from the base address) and return the loaded
 * bytes, to compare with `linkObject`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { expect, it } from "vitest";
import { ElfFile } from "@handoff/core/elf";
import { linkObject, type LinkedObject, type Relocator } from "@handoff/core/link";
import { tempDir } from "./temp.js";
import { requireTool, run } from "./tools.js";

export const LINKER_SCRIPT = (base: bigint) => `
SECTIONS {
  . = 0x${base.toString(16)};
  .text : { *(.text .text.*) } =0
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.*) }
  .bss : { *(.bss .bss.*) }
  /DISCARD/ : { *(.note .note.* .comment .ARM.exidx* .eh_frame) }
}
`;

/** Assemble `source` with `<triple>-as`; returns the object path. */
export function assemble(triple: string, source: string, args: readonly string[] = []): string {
  const dir = tempDir("handoff-ld-");
  const obj = join(dir, `${basename(source, ".S")}.o`);
  run(`${triple}-as`, [...args, "-o", obj, source]);
  return obj;
}

/** `<triple>-ld -T script --defsym ...` then `objcopy -O binary`. */
export function linkWithGnuLd(triple: string, obj: string, base: bigint, defsyms: ReadonlyMap<string, bigint>, args: readonly string[] = []): { bytes: Uint8Array; nm: string } {
  const dir = tempDir("handoff-ld-");
  const script = join(dir, "link.lds");
  writeFileSync(script, LINKER_SCRIPT(base));
  const elf = join(dir, "linked.elf");
  const bin = join(dir, "linked.bin");
  const defs = [...defsyms].flatMap(([k, v]) => ["--defsym", `${k}=0x${v.toString(16)}`]);
  run(`${triple}-ld`, [...args, "-T", script, ...defs, "-o", elf, obj]);
  run(`${triple}-objcopy`, ["-O", "binary", elf, bin]);
  return { bytes: new Uint8Array(readFileSync(bin)), nm: run(`${triple}-nm`, [elf]) };
}

export interface GnuLdCase {
  readonly triple: string;
  readonly source: string;
  readonly base: bigint;
  readonly relocator: Relocator;
  /** Values for undefined symbols: --set for handoff, --defsym for ld. */
  readonly defsyms: ReadonlyMap<string, bigint>;
  readonly asArgs?: readonly string[];
  readonly ldArgs?: readonly string[];
}

/**
 * Assemble, link with handoff and with GNU ld, and require identical bytes and
 * symbol addresses; also require that the object uses every relocation type the
 * relocator names (so the comparison covers them all). Returns handoff's result,
 * or undefined when the cross binutils are missing (a loud skip; a failure in CI).
 */
export function expectLinksLikeGnuLd(c: GnuLdCase): { linked: LinkedObject; elf: ElfFile; obj: string } | undefined {
  for (const tool of ["as", "ld", "objcopy", "nm"]) if (!requireTool(`${c.triple}-${tool}`)) return undefined;
  const obj = assemble(c.triple, c.source, c.asArgs);
  const elf = ElfFile.parse({ path: obj, bytes: new Uint8Array(readFileSync(obj)) });
  const used = new Set(elf.relocationSections().flatMap((rs) => rs.entries.map((e) => c.relocator.types.get(e.type) ?? `type ${e.type}`)));
  expect([...new Set(c.relocator.types.values())].filter((name) => !used.has(name))).toEqual([]);
  const linked = linkObject(elf, { base: c.base, relocator: c.relocator, set: c.defsyms });
  const gnu = linkWithGnuLd(c.triple, obj, c.base, c.defsyms, c.ldArgs);
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").replace(/(.{32})/g, "$1\n").split("\n");
  expect(hex(linked.bytes)).toEqual(hex(gnu.bytes));
  for (const m of gnu.nm.matchAll(/^([0-9a-f]+) [TDRBA] (\w+)$/gm)) {
    // Thumb functions keep their T bit (bit 0) in our map, as in st_value; nm prints the address.
    const ours = linked.symbols.get(m[2]!);
    if (ours !== undefined) expect([m[2], c.relocator.elfMachine === 40 ? ours & ~1n : ours]).toEqual([m[2], BigInt(`0x${m[1]}`)]);
  }
  return { linked, elf, obj };
}

/** The external symbols every arch's relocs.S fixture uses: a function 1 MiB above `base`, an absolute value. */
export function fixtureDefsyms(base: bigint): ReadonlyMap<string, bigint> {
  return new Map([["ext_fn", base + 0x10_0000n], ["ext_abs", 0x1234_5678n]]);
}

/**
 * Declare the test every relocator has: its arch's relocs.S links to the same bytes
 * and symbols as GNU ld (defsyms default to fixtureDefsyms(base)); `check` adds the
 * case's own assertions on handoff's result.
 */
export function itLinksLikeGnuLd(
  title: string,
  c: Omit<GnuLdCase, "defsyms"> & { readonly defsyms?: ReadonlyMap<string, bigint> },
  check: (r: { linked: LinkedObject; elf: ElfFile; obj: string }) => void,
): void {
  it(title, () => {
    const r = expectLinksLikeGnuLd({ ...c, defsyms: c.defsyms ?? fixtureDefsyms(c.base) });
    if (r) check(r);
  });
}

