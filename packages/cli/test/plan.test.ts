import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { existsSync, ftruncateSync, openSync, closeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MemoryMap } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { SegmentSet, linuxKexecRules } from "@handoff/core/kexec";
import { UsageError } from "../src/cli/usage-error.js";
import { parseAddress, parseSize, parseValue } from "../src/numbers.js";
import { runCli } from "@handoff/test-support/cli";
import { REPO_ROOT, tempDir } from "@handoff/test-support";

const dir = tempDir("handoff-plan-cli-");
const kernel = join(dir, "kernel.bin");
const initrd = join(dir, "initrd.img");
writeFileSync(kernel, Buffer.alloc(0x5123, 0x90));
writeFileSync(initrd, Buffer.alloc(0x20001, 0x42));

interface PlanJson {
  arch: string;
  entry: string;
  kexecFlags: string;
  segments: { mem: string; memsz: string; bufsz: string; role: string; source: string }[];
  relocation: { head: string; wordBytes: number; entries: number; listPages: string[]; counts: Record<string, number>; swapPages: number };
}

describe("handoff plan", () => {
  it("--json: segments with destinations and the relocation summary", () => {
    const r = runCli(["plan", "--arch", "x86_64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x1000000", "--initrd", initrd, "--cmdline", "console=ttyS0", "--memory", "512M", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan).toMatchObject({ arch: "x86_64", entry: "0x1000000", kexecFlags: "0x3e0000" });
    expect(plan.segments.map((s) => [s.role, s.mem, s.memsz, s.bufsz])).toEqual([
      ["kernel", "0x1000000", "0x6000", "0x5123"],
      ["initrd", "0x1ffdf000", "0x21000", "0x20001"],
      ["cmdline", "0x1ffde000", "0x1000", "0xe"],
    ]);
    expect(plan.segments[1]!.source).toBe(`file:${initrd}@0x0+0x20001`);
    // 6 + 0x21 + 1 SOURCE entries, 3 DESTINATION, DONE: one 4 KiB list page of 8-byte words.
    expect(plan.relocation).toMatchObject({ wordBytes: 8, entries: 6 + 0x21 + 1 + 3 + 1, swapPages: 0 });
    expect(plan.relocation.counts).toMatchObject({ source: 40, destination: 3, zero: 0, indirection: 0 });
    expect(plan.relocation.listPages).toHaveLength(1);
  });

  it("--no-verify: the same segments, and the stub's SHA-256 check of every segment reported as left out", () => {
    const args = ["plan", "--arch", "x86_64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x1000000", "--initrd", initrd, "--cmdline", "console=ttyS0"];
    const checked = JSON.parse(runCli([...args, "--json"]).stdout) as PlanJson & { segmentCheck: unknown };
    const unchecked = JSON.parse(runCli([...args, "--json", "--no-verify"]).stdout) as PlanJson & { segmentCheck: unknown };
    expect(checked.segmentCheck).toEqual({ algorithm: "sha256", segments: 3 });
    expect(unchecked.segmentCheck).toBeNull();
    expect(unchecked.segments).toEqual(checked.segments);
    expect(unchecked.relocation).toEqual(checked.relocation);
    expect(runCli(args).stdout).toMatch(/segment check: the stub verifies the SHA-256 of all 3 segments before it enters/);
    const text = runCli([...args, "--no-verify"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/segment check: none \(--no-verify\)/);
  });

  it("human output: table and relocation line; arm64 defaults to QEMU virt RAM at 0x40000000", () => {
    const r = runCli(["plan", "--arch", "arm64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x40200000", "--memory", "1G", "--use-zero"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^arm64 raw image, entry 0x40200000, kexec_load flags 0xb70000/);
    expect(r.stdout).toMatch(/0\s+0x40200000\s+0x6000\s+0x5123\s+kernel/);
    expect(r.stdout).toMatch(/relocation: 1 list page\(s\) at 0x4000\d000\.\., 8 entries \(1 DESTINATION, 6 SOURCE, 0 ZERO/);
  });

  it("a --memmap JSON file", () => {
    const memmap = join(dir, "map.json");
    writeFileSync(memmap, JSON.stringify({ ranges: [{ start: "0x1000", end: "0x9f000" }, { start: "0x100000", size: "0x3f00000" }] }));
    const r = runCli(["plan", "--arch", "x86_32", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x100000", "--memmap", memmap, "--json"]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan.relocation.wordBytes).toBe(4);
    expect(plan.kexecFlags).toBe("0x30000");
  });

  const failures: [string, string[], RegExp][] = [
    ["a kernel outside RAM", ["--memory", "16M"], /segment\[0\] \(kernel raw, 0x1000000\.\.0x1006000\): not wholly inside RAM/],
    ["an unaligned load address", ["--load-addr", "0x1000800"], /not 0x1000-aligned/],
    ["a missing initrd", ["--initrd", "/nonexistent/initrd"], /^handoff: \/nonexistent\/initrd: initrd: no such file$/m],
    ["a bad memmap", ["--memmap", kernel], /memory-map JSON \$: not JSON/],
  ];
  for (const [what, extra, message] of failures) {
    it(`refuses ${what} with one line and exit 1`, () => {
      const base = ["plan", "--arch", "x86_64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x1000000"];
      // Later options override earlier ones in parseArgs.
      const r = runCli([...base, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it("without a format that recognises the kernel, says how to use raw", () => {
    const r = runCli(["plan", "--arch", "arm32", "--kernel", kernel]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no arm32 image format recognises it .*--kernel-format raw --load-addr ADDR/);
  });

  const usage: [string, string[], RegExp][] = [
    ["a sloppy size", ["--memory", "512MB"], /^handoff: --memory: '512MB' is not a size/],
    ["a zero size", ["--memory", "0"], /size must be positive/],
    ["both --memory and --memmap", ["--memory", "1G", "--memmap", "x.json"], /not both/],
    ["an address with a unit", ["--load-addr", "16M"], /--load-addr: '16M' is not a number/],
  ];
  for (const [what, extra, message] of usage) {
    it(`refuses ${what} as a usage error: one line, exit 2`, () => {
      const r = runCli(["plan", "--arch", "x86_64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x1000000", ...extra]);
      expect([r.code, r.stdout, r.stderr.trim().split("\n").length]).toEqual([2, "", 1]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/\(try 'handoff plan --help'\)$/m);
    });
  }

  it("accepts _ separators in addresses as every command does", () => {
    const r = runCli(["plan", "--arch", "x86_64", "--kernel", kernel, "--kernel-format", "raw", "--load-addr", "0x100_0000", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as PlanJson).segments[0]!.mem).toBe("0x1000000");
  });

  it("usage errors exit 2", () => {
    expect(runCli(["plan", "--kernel", kernel]).code).toBe(2);
    expect(runCli(["plan", "--arch", "x86_64"]).stderr).toMatch(/--kernel is required/);
    expect(runCli(["plan", "--arch", "mips", "--kernel", kernel]).stderr).toMatch(/architecture 'mips' is not installed/);
  });
});

describe("handoff plan: the x86_64 fixture bzImage with a 64 MiB initrd in 512 MiB", () => {
  const name = "x86_64-bzImage-6.1.0-56-cloud-amd64";
  const fixture = [0, 1, 2].map((up) => join(REPO_ROOT, "../".repeat(up), "../shared/fixtures/kernels", name)).find((p) => existsSync(p));
  it("gives segments that pass validation in that memory map", ({ skip }) => {
    if (fixture === undefined) {
      if (process.env.CI === "true") throw new Error(`fixture ${name} missing under CI`);
      console.warn(`SKIPPING: kernel fixture ${name} not found beside the repository (../shared/fixtures/kernels)`);
      return skip();
    }
    const initrd64 = join(dir, "initrd-64M");
    const fd = openSync(initrd64, "w");
    ftruncateSync(fd, 64 * 1024 * 1024);
    closeSync(fd);
    const r = runCli(["plan", "--arch", "x86_64", "--kernel", fixture, "--initrd", initrd64, "--cmdline", "console=ttyS0", "--memory", "512M", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson & { imageFormat: string };
    expect(plan.imageFormat).toBe("bzImage");
    expect(plan.entry).toBe("0x1000200"); // pref_address + 0x200, the 64-bit entry
    const segments = plan.segments.map((s) => ({ data: { kind: "zero" as const }, bufsz: BigInt(s.bufsz), mem: BigInt(s.mem), memsz: BigInt(s.memsz), role: "other" as const }));
    // Re-validated here, independently of the CLI, against the same machine.
    const set = SegmentSet.validate(segments, linuxKexecRules(4096n, { memoryMap: MemoryMap.fromMachine(512n << 20n, PC_MEMORY_LAYOUT) }));
    expect(set.segments.length).toBe(plan.segments.length);
    expect(plan.segments.map((s) => s.role)).toEqual(["setup", "kernel", "initrd", "cmdline"]);
    const initrd = plan.segments.find((s) => s.role === "initrd")!;
    expect([initrd.mem, initrd.memsz]).toEqual(["0x1c000000", "0x4000000"]);
    // Every buffer page has a SOURCE (one shared zero page for the BSS), 511 entries + a link per list page.
    expect(plan.relocation.counts.source).toBe(0x5 + 0x3378 + 0x4000 + 1);
    expect(plan.relocation.listPages.length).toBe(Math.ceil((plan.relocation.entries - 1) / 511));
  });
});

describe("handoff plan: position-independent arm kernels", () => {
  it("places the arm64 fixture Image at a 2 MiB-aligned base in QEMU virt RAM", ({ skip }) => {
    const name = "arm64-Image-6.1.0-50-cloud-arm64";
    const fixture = [0, 1, 2].map((up) => join(REPO_ROOT, "../".repeat(up), "../shared/fixtures/kernels", name)).find((p) => existsSync(p));
    if (fixture === undefined) {
      if (process.env.CI === "true") throw new Error(`fixture ${name} missing under CI`);
      console.warn(`SKIPPING: kernel fixture ${name} not found beside the repository (../shared/fixtures/kernels)`);
      return skip();
    }
    const r = runCli(["plan", "--arch", "arm64", "--kernel", fixture, "--initrd", initrd, "--memory", "1G", "--json"]);
    expect(r.stderr).toBe("");
    const plan = JSON.parse(r.stdout) as PlanJson & { imageBase: string };
    expect(plan.imageBase).toBe("0x40000000");
    expect(plan.segments[0]).toMatchObject({ role: "kernel", mem: "0x40000000" });
    expect(BigInt(plan.entry)).toBe(0x40000000n); // text_offset 0 on this kernel
    const moved = runCli(["plan", "--arch", "arm64", "--kernel", fixture, "--memory", "1G", "--load-addr", "0x40200000", "--json"]);
    expect((JSON.parse(moved.stdout) as PlanJson).segments[0]!.mem).toBe("0x40200000");
    expect(runCli(["plan", "--arch", "arm64", "--kernel", fixture, "--memory", "1G", "--load-addr", "0x40100000"]).stderr).toMatch(/not 0x200000-aligned/);
  });
});

describe("parseSize (the CLI's one size grammar)", () => {
  it("accepts K/M/G/T/P suffixes, hex and _ separators, refuses anything loose", () => {
    expect(parseSize("512M", "--memory")).toBe(512n << 20n);
    expect(parseSize("6G", "--memory")).toBe(6n << 30n);
    expect(parseSize("0x20000000", "--memory")).toBe(0x20000000n);
    expect(parseSize("0x2000_0000", "--memory")).toBe(0x20000000n);
    expect(parseSize("4096", "--memory")).toBe(4096n);
    for (const bad of ["512MB", "1.5G", "-1", "0x", "1g", " 1G", "0x10M", "", "_1", "1__0", "1_", "99999999999999999999T", "0"]) expect(() => parseSize(bad, "--memory")).toThrow(UsageError);
  });
  it("parseAddress takes no unit; parseValue takes a sign", () => {
    expect(parseAddress("0x1_000", "--at")).toBe(0x1000n);
    expect(() => parseAddress("4K", "--at")).toThrow(/'4K' is not a number/);
    expect(() => parseAddress("0x1_0000_0000_0000_0000", "--at")).toThrow(/does not fit in 64 bits/);
    expect(parseValue("-1", "value")).toBe(-1n);
    expect(() => parseValue("-0x1", "value")).toThrow(UsageError);
  });
});
