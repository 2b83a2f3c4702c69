import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureKernel, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";
import { wrapBzImageAsPvh } from "@handoff/x86";

const KERNEL = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
const work = tempDir("handoff-wrap-cli-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!KERNEL)("handoff wrap --protocol pvh", () => {
  it("writes the wrapped ELF the library makes and says where each load went (--json: every address a hex string)", () => {
    const out = join(work, "wrapped.elf");
    const r = runCli(["wrap", "--protocol", "pvh", "--kernel", KERNEL!, "--out", out, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lib = wrapBzImageAsPvh({ kernel: new Uint8Array(readFileSync(KERNEL!)), kernelPath: KERNEL! });
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(lib.elf))).toBe(true);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ out, arch: "x86_64", phys32Entry: "0x100000", kernelLoad: "0x1000000", kernelEntry: "0x1000200", bootParams: "0x104000", pageTableRoot: "0x105000" });
    expect(d.loads.map((l: { name: string; paddr: string }) => `${l.name}@${l.paddr}`)).toEqual(["stub@0x100000", "boot_params@0x104000", "page tables@0x105000", "kernel@0x1000000"]);
    const text = runCli(["wrap", "--protocol", "pvh", "--kernel", KERNEL!, "--arch", "x86_32", "--out", join(work, "w32.elf")]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PVH ELF32, PHYS32_ENTRY 0x100000 \(handoff's stub\) -> Linux 32-bit entry 0x1000000/);
  });

  it("mistakes are one line: usage exit 2, a file that is no bzImage exit 1, and a symlink at --out is not replaced", () => {
    for (const [args, code, msg] of [
      [["--protocol", "multiboot", "--kernel", KERNEL!, "--out", "x"], 2, /the one wrapper is pvh/],
      [["--protocol", "pvh", "--kernel", KERNEL!, "--arch", "arm64", "--out", "x"], 2, /x86_64 or x86_32/],
      [["--protocol", "pvh", "--out", "x"], 2, /--kernel/],
    ] as const) {
      const r = runCli(["wrap", ...args], { cwd: work });
      expect([r.code, r.stderr.trim().split("\n").length]).toEqual([code, 1]);
      expect(r.stderr).toMatch(msg);
    }
    const junk = join(work, "junk");
    writeFileSync(junk, new Uint8Array(8192).fill(0x41));
    const bad = runCli(["wrap", "--protocol", "pvh", "--kernel", junk, "--out", join(work, "y.elf")]);
    expect([bad.code, bad.stderr.trim().split("\n").length]).toEqual([1, 1]);
    expect(bad.stderr).toMatch(/junk: bzImage boot_flag @0x1fe/);
    const link = join(work, "link.elf");
    symlinkSync(junk, link);
    const refused = runCli(["wrap", "--protocol", "pvh", "--kernel", KERNEL!, "--out", link]);
    expect(refused.code).not.toBe(0);
    expect(readFileSync(junk)[0]).toBe(0x41);
  });
});
