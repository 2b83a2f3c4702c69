import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble, linkWithGnuLd } from "@handoff/test-support/ld-compare";
import { requireTool, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";

const dir = tempDir("handoff-link-");
const fixture = (pkg: string) => fileURLToPath(new URL(`../../${pkg}/test/fixtures/relocs.S`, import.meta.url));

describe("handoff link", () => {
  it.each([
    ["arm64", "aarch64-linux-gnu", "0x40080000"],
    ["x86_32", "i686-linux-gnu", "0x100000"],
  ] as const)("%s: writes the same bytes as GNU ld, atomically", (arch, triple, at) => {
    if (!requireTool(`${triple}-as`) || !requireTool(`${triple}-ld`)) return;
    const obj = assemble(triple, fixture(arch));
    const out = join(dir, `${arch}.bin`);
    writeFileSync(out, "old contents");
    const r = runCli(["link", "--arch", arch, obj, "--at", at, "--set", "ext_fn=0x40180000", "--set", "ext_abs=0x12345678", "--out", out, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { base: string; fileSize: number; sections: { name: string; addr: string }[]; symbols: Record<string, string> };
    expect(j.base).toBe(at);
    expect(j.sections[0]).toMatchObject({ name: ".text", addr: at });
    const gnu = linkWithGnuLd(triple, obj, BigInt(at), new Map([["ext_fn", 0x4018_0000n], ["ext_abs", 0x1234_5678n]]));
    const written = readFileSync(out);
    expect(written.length).toBe(j.fileSize);
    expect(Buffer.from(gnu.bytes).equals(written)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("reports bad objects and arguments in one line, leaving no output behind", () => {
    if (!requireTool("x86_64-linux-gnu-as")) return;
    const obj = assemble("x86_64-linux-gnu", fixture("x86_64"));
    const garbage = join(dir, "garbage.o");
    writeFileSync(garbage, `\x7fELF\x02\x01\x01${" garbage".repeat(4)}`);
    const out = join(dir, "never.bin");
    for (const [args, code, message] of [
      [["link", "--arch", "x86_64", obj, "--at", "0x100000", "--out", out], 1, /R_X86_64_\w+ at offset 0x[0-9a-f]+: undefined symbol '\w+' \(define it with --set/],
      [["link", "--arch", "arm64", obj, "--at", "0x100000", "--out", out], 1, /e_machine 62 object cannot be linked with the EM_AARCH64 \(e_machine 183\) relocator/],
      [["link", "--arch", "x86_64", garbage, "--at", "0", "--out", out], 1, /ELF64 ELF header @0x0/],
      [["link", "--arch", "sparc", obj, "--at", "0", "--out", out], 1, /architecture 'sparc' is not installed/],
      [["link", "--arch", "x86_64", obj, "--at", "0x100000", "--set", "ext_fn", "--out", out], 2, /--set ext_fn: expected SYM=VALUE/],
      [["link", "--arch", "x86_64", obj, "--out", out], 2, /link: --at is required/],
      [["link", "--arch", "x86_64", obj, "--at", "0x1_0000_0000_0000_0000", "--out", out], 2, /does not fit in 64 bits/],
      [["link", "--arch", "x86_64", obj, "--at", "0x100000", "--set", "ext_fn=1", "--set", "ext32=1", "--set", "ext_abs=1", "--out", join(dir, "no/such/dir/x.bin")], 1, /x\.bin: linked image: the directory .*no\/such\/dir does not exist/],
    ] as const) {
      const r = runCli([...args]);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
    expect(existsSync(out)).toBe(false);
  });
});
