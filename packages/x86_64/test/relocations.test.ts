import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ElfFile } from "@handoff/core/elf";
import { RelocationError, linkObject } from "@handoff/core/link";
import { X86_64_RELOCATOR } from "@handoff/x86_64";
import { assemble, expectLinksLikeGnuLd } from "@handoff/test-support/ld-compare";
import { requireTool, tempDir } from "@handoff/test-support";

const source = fileURLToPath(new URL("./fixtures/relocs.S", import.meta.url));
const defsyms = new Map([
  ["ext_fn", 0x10_0800n],
  ["ext32", 0x7fff_0000n],
  ["ext_abs", 0x1234_5678_9abc_def0n],
]);

describe("x86-64 relocations", () => {
  it("link every type to the same bytes as GNU ld, at two addresses", () => {
    for (const base of [0x10_0000n, 0x7000_1000n]) {
      const r = expectLinksLikeGnuLd({ triple: "x86_64-linux-gnu", source, base, relocator: X86_64_RELOCATOR, defsyms });
      if (!r) return;
      expect(r.linked.sections.map((s) => [s.name, s.group])).toEqual([
        [".text", "text"],
        [".text.unlikely", "text"],
        [".rodata", "rodata"],
        [".data", "data"],
        [".bss", "bss"],
      ]);
      expect(r.linked.sections[1]!.addr % 32n).toBe(0n);
      expect(r.linked.memsz).toBeGreaterThan(BigInt(r.linked.bytes.length)); // .bss is memory, not bytes
    }
  });

  it("stores a value set from outside into a data object, as kexec-tools does for purgatory", () => {
    if (!requireTool("x86_64-linux-gnu-as")) return;
    const obj = assemble("x86_64-linux-gnu", source);
    const elf = ElfFile.parse({ path: obj, bytes: new Uint8Array(readFileSync(obj)) });
    const linked = linkObject(elf, { base: 0x10_0000n, relocator: X86_64_RELOCATOR, set: new Map([...defsyms, ["entry_value", 0xffff_ffff_8100_0000n]]) });
    const at = Number(linked.symbols.get("entry_value")! - 0x10_0000n);
    expect(Buffer.from(linked.bytes.subarray(at, at + 8)).readBigUInt64LE()).toBe(0xffff_ffff_8100_0000n);
    expect(() => linkObject(elf, { base: 0x10_0000n, relocator: X86_64_RELOCATOR, set: new Map([...defsyms, ["func", 1n]]) })).toThrow(/--set func: only an undefined symbol or a 1\/2\/4\/8-byte data object/);
    expect(() => linkObject(elf, { base: 0x10_0000n, relocator: X86_64_RELOCATOR, set: new Map([...defsyms, ["nosuch", 1n]]) })).toThrow(/--set nosuch: the object has no symbol/);
  });

  it("refuses 32-bit fields that overflow, PC-relative ones included, naming the relocation", () => {
    if (!requireTool("x86_64-linux-gnu-as")) return;
    const obj = assemble("x86_64-linux-gnu", source);
    const elf = ElfFile.parse({ path: obj, bytes: new Uint8Array(readFileSync(obj)) });
    const link = (base: bigint, set: Map<string, bigint>) => () => linkObject(elf, { base, relocator: X86_64_RELOCATOR, set });
    // The jmp to ext_fn is 4 GiB away: R_X86_64_PLT32 (a PC-relative 32-bit form) must not wrap.
    expect(link(0x10_0000n, new Map([...defsyms, ["ext_fn", 0x1_0020_0000n]]))).toThrow(RelocationError);
    expect(link(0x10_0000n, new Map([...defsyms, ["ext_fn", 0x1_0020_0000n]]))).toThrow(/.rela\.text\[\d+\] R_X86_64_PLT32 at offset 0x6: S \+ A - P 0x[0-9a-f]+ overflows: must be in \[-0x80000000, 0x80000000\) \(symbol 'ext_fn'\)/);
    // Linked above 4 GiB, movl $data_obj (R_X86_64_32) no longer fits.
    expect(link(0x1_0000_0000n, defsyms)).toThrow(/R_X86_64_32 at offset 0x\w+: S \+ A 0x1[0-9a-f]{8} overflows/);
    // ... and above 2 GiB the sign-extended R_X86_64_32S does not.
    expect(link(0x8000_0000n, defsyms)).toThrow(/R_X86_64_32S at offset 0x\w+: S \+ A 0x8[0-9a-f]{7} overflows/);
    expect(link(0x10_0000n, new Map([...defsyms].filter(([k]) => k !== "ext32")))).toThrow(/R_X86_64_32S at offset 0x\w+: undefined symbol 'ext32'/);
  });

  it("refuses a COMMON symbol", () => {
    if (!requireTool("x86_64-linux-gnu-as")) return;
    const dir = tempDir("handoff-common-");
    writeFileSync(join(dir, "c.S"), ".text\n movl common_var(%rip), %eax\n .comm common_var, 8, 8\n");
    const obj = assemble("x86_64-linux-gnu", join(dir, "c.S"));
    const elf = ElfFile.parse({ path: obj, bytes: new Uint8Array(readFileSync(obj)) });
    expect(() => linkObject(elf, { base: 0x10_0000n, relocator: X86_64_RELOCATOR })).toThrow(/R_X86_64_PC32 at offset 0x2: COMMON symbol 'common_var' has no storage/);
  });
});
