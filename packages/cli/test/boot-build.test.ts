import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";

function haveTool(tool: string): boolean {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0) return true;
  if (process.env.CI === "true") throw new Error(`${tool} is required under CI=true`);
  console.warn(`SKIPPING: ${tool} is not installed`);
  return false;
}

interface ProbeJson {
  ok: boolean;
  entry: string;
  registers: { name: string; expected: string; observed: string; match: boolean; provenance: { kind: string }; emulatorDeviation?: string }[];
  memory: { equal: boolean; memsz: string }[];
  qemuLoaderLeftovers?: { name: string; value: string }[];
}

const QEMU: Record<string, string> = { arm64: "qemu-system-aarch64", arm32: "qemu-system-arm", x86_32: "qemu-system-i386", x86_64: "qemu-system-x86_64" };

// Each case: arch, protocol, number of registers QEMU reports, and whether to also boot through QEMU's own loader.
const cases: [string, string, number, boolean, string?][] = [
  ["arm64", "kexec", 34, true],
  ["arm64", "kexec", 34, false, "el2"],
  ["arm32", "kexec", 17, false],
  ["arm32", "kexec", 17, false, "hyp"],
  ["x86_32", "pvh", 51, true],
  ["x86_32", "linux32", 51, false],
  ["x86_32", "kexec", 51, false],
  ["x86_64", "linux64", 59, false],
  ["x86_64", "kexec", 59, false],
];

describe("handoff boot --probe (built binary, real QEMU)", () => {
  for (const [arch, protocol, count, native, mode] of cases) {
    it.skipIf(!haveTool(QEMU[arch]!))(`${arch} ${protocol}${mode ? ` at ${mode}` : ""}: every reported register equals the promised state, memory equals the segment`, () => {
      const r = runCli(["boot", "--arch", arch, "--protocol", protocol, "--probe", "--json", "--timeout", "40", ...(native ? [] : ["--no-native"]), ...(mode ? ["--entry-mode", mode] : [])], { timeout: 110_000 });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const d = JSON.parse(r.stdout) as ProbeJson;
      expect(d.ok).toBe(true);
      expect(d.registers).toHaveLength(count);
      expect(d.registers.filter((x) => !x.match)).toEqual([]);
      expect(d.memory).toEqual([expect.objectContaining({ equal: true, memsz: "0x2000" })]);
      if (mode === "el2") expect(d.registers.find((x) => x.name === "pstate")!.observed).toBe("0x3c9");
      if (mode === "hyp") expect(d.registers.find((x) => x.name === "cpsr")!.observed).toBe("0x1da");
      if (arch === "arm64" && native) {
        // QEMU's own arm64 boot code leaves the entry address in x4 (DESIGN.md); the stub does not.
        expect(d.qemuLoaderLeftovers).toEqual([{ name: "x4", value: "0x40080000" }]);
        expect(d.registers.find((x) => x.name === "x4")!.observed).toBe("0x0");
      }
      if (arch === "x86_32" && native) {
        const names = d.qemuLoaderLeftovers!.map((l) => l.name);
        for (const leftover of ["ecx", "esi", "edi", "esp"]) expect(names).toContain(leftover);
      }
    }, 120_000);
  }
});

describe("handoff boot --kernel (flat payload, console streamed)", () => {
  it.skipIf(!haveTool("qemu-system-aarch64"))("arm64: the payload's PL011 output reaches stdout", () => {
    // aarch64: mov x1,#0x09000000; adr x2,msg; 1: ldrb w3,[x2],#1; cbz w3,2f; str w3,[x1]; b 1b; 2: b 2b; msg: "handoff-serial-ok\n"
    const hexBytes = "0120a1d2c20000104314403863000034230000b9fdffff170000001468616e646f66662d73657269616c2d6f6b0a00";
    const dir = tempDir("handoff-flat-");
    const file = join(dir, "hello.bin");
    writeFileSync(file, Buffer.from(hexBytes, "hex"));
    const r = runCli(["boot", "--arch", "arm64", "--kernel", file, "--timeout", "3"], { timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("handoff-serial-ok");
  }, 70_000);

  it.skipIf(!haveTool("qemu-system-x86_64"))("x86_64: a payload that triple-faults is a failed boot (exit 1, one line), not a quiet exit 0", () => {
    // xor rax,rax; push rax; push rax; lidt [rsp] (an empty IDT); int3: #GP, #DF, then a triple fault, which resets the machine (QEMU: -no-reboot).
    const dir = tempDir("handoff-flat-");
    const file = join(dir, "triple-fault.bin");
    writeFileSync(file, Buffer.from("4831c050500f011c24cc", "hex"));
    const text = runCli(["boot", "--arch", "x86_64", "--kernel", file, "--timeout", "30"], { timeout: 60_000 });
    expect(text.code).toBe(1);
    expect(text.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(text.stderr).toMatch(/boot: the guest reset the machine \(a triple fault/);
    const json = runCli(["boot", "--arch", "x86_64", "--kernel", file, "--timeout", "30", "--json"], { timeout: 60_000 });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ arch: "x86_64", ending: "guest-reset" });
  }, 130_000);
});

describe("handoff boot --cpu", () => {
  it("a value that is no QEMU CPU model (an option, empty) is a one-line usage error before QEMU starts", () => {
    for (const cpu of ["-S", "", "max -s"]) {
      const r = runCli(["boot", "--arch", "x86_64", "--probe", `--cpu=${cpu}`]);
      expect([r.code, r.stderr.trim().split("\n").length], `--cpu '${cpu}'`).toEqual([2, 1]);
      expect(r.stderr).toContain(`--cpu '${cpu}' is not a QEMU CPU model`);
    }
  });
  it.skipIf(!haveTool("qemu-system-x86_64"))("a model QEMU does not know: one line naming it, exit 1", () => {
    const r = runCli(["boot", "--arch", "x86_64", "--probe", "--no-native", "--cpu", "no-such-cpu", "--timeout", "5"], { timeout: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^handoff: .*no-such-cpu/);
  }, 70_000);
});

describe("handoff build --out", () => {
  it("writes the PVH ELF and plan.json atomically (no temp files left)", () => {
    const out = join(tempDir("handoff-build-"), "out");
    const r = runCli(["build", "--arch", "x86_64", "--probe", "--out", out, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // .handoff-set (@handoff/node's set marker) is what lets a later build replace this directory.
    expect(readdirSync(out).sort()).toEqual([".handoff-set", "handoff.elf", "plan.json"]);
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(plan).toMatchObject({ arch: "x86_64", protocol: "linux64", entry: "0x400000", stubEntry: "0x100000", pageTableRoot: "0x120000" });
    expect(plan.indirectionList.entries[0]).toBe("0x400001");
    expect(plan.indirectionList.entries.at(-1)).toBe("0x4");
    expect(plan.state.registers.find((x: { name: string }) => x.name === "rsi")).toMatchObject({ value: "0x1f0000", provenance: { kind: "protocol" } });
    const elf = readFileSync(join(out, "handoff.elf"));
    expect([...elf.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2]);
  });
  it("arm artefacts are loader blobs with their addresses", () => {
    const out = join(tempDir("handoff-build-"), "out");
    const r = runCli(["build", "--arch", "arm64", "--probe", "--out", out]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(plan.launch).toMatchObject({ kind: "loader", entry: "0x41000000" });
    for (const b of plan.launch.blobs as { file: string }[]) expect(existsSync(join(out, b.file))).toBe(true);
  });
  it("mistakes are one line and a non-zero exit", () => {
    const missing = runCli(["build", "--probe", "--out", "/tmp/x"]);
    expect([missing.code, missing.stderr.trim().split("\n").length]).toEqual([2, 1]);
    const proto = runCli(["build", "--arch", "arm64", "--protocol", "pvh", "--probe", "--out", "/tmp/x"]);
    expect(proto.code).toBe(1);
    expect(proto.stderr).toMatch(/^handoff: .*protocol 'pvh'/);
    expect(proto.stderr.trim().split("\n")).toHaveLength(1);
    const mode = runCli(["build", "--arch", "arm32", "--entry-mode", "el2", "--probe", "--out", "/tmp/x"]);
    expect(mode.code).toBe(1);
    expect(mode.stderr).toMatch(/^handoff: .*entry mode 'el2' is not one of svc, hyp/);
    const big = runCli(["build", "--arch", "arm64", "--kernel", "/nonexistent/kernel", "--out", "/tmp/x"]);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/^handoff: \/nonexistent\/kernel/);
  });
});
