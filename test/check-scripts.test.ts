// The lint checks that keep core generic and small fail on the things they forbid:
// each runs over a scratch tree holding one offending (or allowed) core file.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "@handoff/test-support";

const SCRIPTS = resolve(import.meta.dirname, "..", "scripts");

/** Runs `script` in a scratch tree whose packages/core/src holds `files`. */
function check(script: string, files: Record<string, string>, args: readonly string[] = []) {
  const root = tempDir("handoff-check-");
  const src = join(root, "packages", "core", "src");
  mkdirSync(src, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(src, name), text);
  const r = spawnSync(process.execPath, [join(SCRIPTS, script), ...args], { cwd: root, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("check-layering: core exports no arch or hypervisor names", () => {
  it.each([
    ["export const XEN_ELFNOTE_ENTRY = 1;", "XEN_ELFNOTE_ENTRY"],
    ["export function decodeXenNotes() {}", "decodeXenNotes"],
    ["export interface Aarch64Thing { a: number }", "Aarch64Thing"],
    ["const KEXEC_ARCH_X86_64 = 1n;\nexport { KEXEC_ARCH_X86_64 };", "KEXEC_ARCH_X86_64"],
    ["export {\n  helper as armHvc,\n} from './b.js';", "armHvc"],
    ["export * as pvhEntry from './b.js';", "pvhEntry"],
  ])("refuses %j", (text, name) => {
    const r = check("check-layering.mjs", { "a.ts": text, "b.ts": "export const helper = 1;\n" });
    expect(r.status).toBe(1);
    expect(r.out).toContain(`exports ${name}, which names an architecture or a hypervisor`);
  });

  it("refuses ELF's EM_* machine names too: each arch or family package declares its own", () => {
    const r = check("check-layering.mjs", { "a.ts": "export const EM_X86_64 = 62;\n" });
    expect(r.status).toBe(1);
    expect(r.out).toContain("exports EM_X86_64, which names an architecture or a hypervisor");
  });

  it("accepts words that merely contain 'arm' or 'xen'", () => {
    const r = check("check-layering.mjs", { "a.ts": "export const paramCount = 1;\nexport function alarmXenial() {}\nconst xenLocal = 1;\n" });
    expect(r.out).toContain("layering ok");
    expect(r.status).toBe(0);
  });
});

describe("check-layering: core's strings name no arch or hypervisor", () => {
  // Each offending source, with the line, the literal and the word the failure must name.
  it.each([
    { text: 'const MACHINES = new Map([[62, "x86_64"]]);', line: 1, quoted: '"x86_64"', word: "x86" },
    { text: "type Launch = { kind: 'elf\\npvh' };", line: 1, quoted: '"elf pvh"', word: "pvh" }, // an escape separates words
    { text: "const n = 1;\nconst name = `XEN_GUEST_HANDLE(${n})`;", line: 2, quoted: '"XEN_GUEST_HANDLE("', word: "XEN" },
    { text: "const m = `${`inner ${'AArch64'}`} done`;", line: 1, quoted: '"AArch64"', word: "AArch64" },
    { text: "const SYSCALLS = {\n  x86_64: { kexecLoad: 246 },\n};", line: 2, quoted: '"x86_64"', word: "x86" },
  ])("refuses $text", ({ text, line, quoted, word }) => {
    const r = check("check-layering.mjs", { "a.ts": text });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(new RegExp(`a\\.ts:${line}: the (string|property key) ${quoted.replace(/[()]/g, "\\$&")} names an architecture or a hypervisor \\(${word}\\); @handoff/core stays generic`));
  });

  it("leaves comments, regular expressions and plain words alone", () => {
    const text = [
      "// x86_64 and arm64 declare their own e_machine (EM_X86_64, EM_AARCH64).",
      "/** e.g. `arm64`, a Xen PVH ELF */",
      'const re = /x86|arm64/;',
      "const half = 4 / 2; const q = 'a/b'; // a division, then a string with a slash",
      'const ok = ["alarm", "armour", "xenial", `disarm ${half}`];',
      "const key = { alarm: 1, charm: 2 };",
    ].join("\n");
    const r = check("check-layering.mjs", { "a.ts": text });
    expect(r.out).toContain("layering ok");
    expect(r.status).toBe(0);
  });
});

describe("check-file-length: no core source file over 400 lines", () => {
  it("refuses 401 lines and accepts 400", () => {
    const lines = (n: number) => "const x = 1;\n".repeat(n);
    const over = check("check-file-length.mjs", { "big.ts": lines(401) });
    expect(over.status).toBe(1);
    expect(over.out).toMatch(/big\.ts: 401 lines \(limit 400\)/);
    const at = check("check-file-length.mjs", { "ok.ts": lines(400) });
    expect(at.status).toBe(0);
    expect(at.out).toMatch(/largest .*ok\.ts, 400/);
  });
});
