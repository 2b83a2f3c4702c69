import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers.js";

interface Report {
  arch: string;
  format: string;
  root: string;
  tables: number;
  tablesPerLevel: number[];
  tablePages: number;
  registers: Record<string, string>;
  mappings: { va: string; pa: string; size: string; writable: boolean; executable: boolean; memoryType: string }[];
  walks: { va: string; result: { kind: string; pa?: string; pageSize?: string; attributes?: { memoryType: string } } }[];
  verified: boolean;
}

describe("handoff pagetable", () => {
  it("x86_64: 512 GiB of 1 GiB pages is 2 table pages; the walk of every mapping is reported", () => {
    const r = runCli(["pagetable", "--arch", "x86_64", "--map", "512G:512G:512G:wx", "--table-base", "0x200000", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Report;
    expect(j).toMatchObject({ arch: "x86_64", format: "x86_64-4level", root: "0x200000", tables: 2, tablePages: 2, verified: true });
    expect(j.registers.cr3).toBe("0x200000");
    expect(j.walks.map((w) => [w.va, w.result.pa, w.result.pageSize])).toEqual([
      ["0x8000000000", "0x8000000000", "0x40000000"],
      ["0xffffffffff", "0xffffffffff", "0x40000000"],
    ]);
  });

  it("arm64 with a device page, human output, and the table bytes written to a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "handoff-pt-"));
    try {
      const out = join(dir, "tables.bin");
      const r = runCli(["pagetable", "--arch", "arm64", "--format", "arm64-4k-39", "--map", "0x40000000:0x40000000:2M:wx", "--map", "0x9000000:0x9000000:4K:wd", "--table-base", "0x48000000", "--out", out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^root\s+0x48000000$/m);
      expect(r.stdout).toMatch(/0x9000000 in a 0x1000 page, w-- device/);
      expect(r.stdout).toMatch(/walk check: every mapping translates as intended/);
      // L1 + an L2 for each of the first two GiB + an L3 for the 4 KiB device page = 4 tables.
      const bytes = readFileSync(out);
      expect(bytes.length).toBe(4 * 4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("first-n-gib policy on arm32 LPAE: RAM normal, beyond --memory device", () => {
    const r = runCli(["pagetable", "--arch", "arm32", "--format", "arm32-lpae", "--policy", "first-n-gib", "--gib", "4", "--memory", "2G", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Report;
    expect(j.mappings.map((m) => [m.va, m.size, m.memoryType])).toEqual([
      ["0x1000", "0x7ffff000", "normal"],
      ["0x80000000", "0x80000000", "device"],
    ]);
    expect(j.tablesPerLevel).toEqual([1, 1, 1]);
  });

  it("refuses page 0, bad numbers and unknown formats in one line", () => {
    for (const args of [
      ["pagetable", "--arch", "x86_64", "--map", "0:0:4K"],
      ["pagetable", "--arch", "x86_64", "--format", "nope", "--map", "0x1000:0x1000:4K"],
      ["pagetable", "--arch", "x86_32", "--format", "x86_32-2level", "--map", "0x1000:0x100000000:4K"],
    ]) {
      const r = runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^handoff: /);
    }
    // A malformed number is a usage error wherever it appears: exit 2.
    const zz = runCli(["pagetable", "--arch", "x86_64", "--map", "0x1000:zz:4K"]);
    expect([zz.code, zz.stderr]).toEqual([2, "handoff: --map PA: 'zz' is not a size (decimal or 0x-hex, optional K/M/G/T/P suffix, e.g. 512M) (try 'handoff pagetable --help')\n"]);
  });
});
