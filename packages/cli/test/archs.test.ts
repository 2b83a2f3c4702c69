import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";

interface ArchJson {
  id: string;
  wordBits: number;
  elfMachine: number;
  protocols: string[];
  registers: { name: string; width: number; aliasOf?: string; onWrite?: string }[];
}

/** `handoff archs --json`, checked to succeed quietly, parsed. */
function archsJson(): ArchJson[] {
  const r = runCli(["archs", "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { architectures: ArchJson[] }).architectures;
}

describe("handoff archs", () => {
  it("--json lists the four installed architectures with their register widths", () => {
    const architectures = archsJson();
    expect(architectures.map((a) => a.id)).toEqual(["arm32", "arm64", "x86_32", "x86_64"]);
    const by = Object.fromEntries(architectures.map((a) => [a.id, a]));
    const width = (arch: string, reg: string) => by[arch]!.registers.find((x) => x.name === reg)?.width;
    expect([width("x86_64", "rax"), width("x86_64", "eax"), width("x86_64", "cs"), width("x86_64", "cr3")]).toEqual([64, 32, 16, 64]);
    expect([width("x86_32", "eax"), width("x86_32", "cr3"), width("x86_32", "rax")]).toEqual([32, 32, undefined]);
    expect([width("arm64", "x30"), width("arm64", "w30"), width("arm64", "pstate")]).toEqual([64, 32, 32]);
    expect([width("arm32", "r15"), width("arm32", "cpsr"), width("arm32", "x0")]).toEqual([32, 32, undefined]);
    expect(by.x86_64!.registers.find((x) => x.name === "eax")).toMatchObject({ aliasOf: "rax", onWrite: "zero-extend" });
    expect(by.x86_64!.registers.find((x) => x.name === "ax")).toMatchObject({ aliasOf: "rax", onWrite: "merge" });
    expect(architectures.map((a) => [a.id, a.elfMachine, a.wordBits])).toEqual([
      ["arm32", 40, 32],
      ["arm64", 183, 64],
      ["x86_32", 3, 32],
      ["x86_64", 62, 64],
    ]);
  });

  it("prints a table for humans", () => {
    const r = runCli(["archs"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^x86_64\s+x86-64\s+62\s+64-bit/m);
  });

  it("reports a bad command or a missing plugin in one line, without a stack trace", () => {
    for (const args of [["frobnicate"], ["archs", "--plugin", "@handoff/nonexistent"], ["archs", "--bogus"]]) {
      const r = runCli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^handoff: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

// The protocols `archs` lists are the ones the installed builders build, i.e. what `build --protocol` accepts.
describe("handoff archs --json protocols", () => {
  it("lists each architecture's protocols as its builders accept them", () => {
    expect(Object.fromEntries(archsJson().map((a) => [a.id, [...a.protocols].sort()]))).toEqual({
      arm32: ["kexec", "linux"],
      arm64: ["kexec", "linux"],
      x86_32: ["kexec", "linux32", "pvh"],
      x86_64: ["kexec", "linux64", "pvh"],
    });
  });

  it("every listed protocol is one `build` accepts, and an unlisted one is refused", () => {
    const architectures = archsJson();
    const dir = tempDir("handoff-archs-");
    try {
      for (const arch of architectures) {
        for (const protocol of arch.protocols) {
          const r = runCli(["build", "--arch", arch.id, "--protocol", protocol, "--probe", "--out", join(dir, `${arch.id}-${protocol}`)]);
          expect([arch.id, protocol, r.code, r.stderr]).toEqual([arch.id, protocol, 0, ""]);
        }
      }
      const refused = runCli(["build", "--arch", "arm64", "--protocol", "pvh", "--probe", "--out", join(dir, "refused")]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/pvh/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
