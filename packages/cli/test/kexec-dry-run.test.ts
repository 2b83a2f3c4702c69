/**
 * `handoff kexec` on the host: --dry-run against /proc and /sys captured from
 * the x86_64 test VM (what would be passed to kexec_load), the refusals the
 * kernel would give said plainly, and the guard refusing the real path. No
 * test here can reach a kexec system call: the real backend refuses outside a
 * handoff test VM, and exec is only ever run with --dry-run.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryMap } from "@handoff/core";
import { BootParams, E820Type } from "@handoff/x86";
import { X86_64_HANDOFF_STUB, planX86_64Kexec } from "@handoff/x86_64";
import { X86_32_HANDOFF_STUB, planX86_32Kexec } from "@handoff/x86_32";
import { readFirmwareMemmap } from "@handoff/node";
import { runCli, BIN } from "@handoff/test-support/cli";
import { KERNELS, REPO_ROOT, fixtureKernel, tempDir } from "@handoff/test-support";

const VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64");
const kernel = fixtureKernel(KERNELS.x86_64);

interface DryRun {
  readonly call: string;
  readonly entry: string;
  readonly flags: string;
  readonly segments: { mem: string; memsz: string; bufsz: string; name: string }[];
}

const load = (...args: string[]) => runCli(["kexec", "load", "--dry-run", "--root", VM, "--arch", "x86_64", "--kernel", kernel!, ...args]);

describe.skipIf(!kernel)("handoff kexec load --dry-run (x86_64, the test VM's captured machine)", () => {
  it("plans the stub, its tables, the kernel at pref_address, boot_params, cmdline and initrd inside the machine's RAM", () => {
    const initrd = join(tempDir("kexec-initrd-"), "initrd");
    writeFileSync(initrd, Buffer.alloc(300_000, 7));
    const r = load("--initrd", initrd, "--cmdline", "console=ttyS0 handoff.marker=x", "--json");
    expect(r.stderr).toBe("");
    const plan = JSON.parse(r.stdout) as DryRun;
    expect(plan.call).toBe("kexec_load");
    expect(BigInt(plan.entry)).toBe(0x100000n + BigInt(X86_64_HANDOFF_STUB.symbols.hd_entry64!));
    expect(plan.flags).toBe("0x3e0000"); // KEXEC_ARCH_X86_64
    expect(plan.segments.map((s) => s.name)).toEqual(["stub", "page tables", "protected-mode kernel", "boot_params", "cmdline", "initrd"]);
    const kernelSeg = plan.segments.find((s) => s.name === "protected-mode kernel")!;
    expect(kernelSeg.mem).toBe("0x1000000");
    const memmap = readFirmwareMemmap(VM)!;
    for (const s of plan.segments) expect(memmap.covers(BigInt(s.mem), BigInt(s.mem) + BigInt(s.memsz)), s.name).toBe(true);
    const initrdSeg = plan.segments.find((s) => s.name === "initrd")!;
    expect(BigInt(initrdSeg.bufsz)).toBe(300_000n);
    expect(BigInt(initrdSeg.mem) + BigInt(initrdSeg.memsz)).toBeLessThanOrEqual(0x1ffe0000n);
  });

  it("the text form names each segment; --reuse-cmdline --append takes /proc/cmdline and adds to it", () => {
    const r = load("--reuse-cmdline", "--append", "extra=1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^would call kexec_load: x86_64, entry 0x100[0-9a-f]{3} \(handoff's stub\), flags 0x3e0000, 5 segments/);
    const expected = "console=ttyS0 quiet HANDOFF_TEST_VM=1 handoff.case=capture extra=1";
    const json = JSON.parse(load("--reuse-cmdline", "--append", "extra=1", "--json").stdout) as DryRun;
    expect(BigInt(json.segments.find((s) => s.name === "cmdline")!.bufsz)).toBe(BigInt(expected.length + 1));
    const plain = JSON.parse(load("--cmdline", "a", "--json").stdout) as DryRun;
    expect(plain.segments.find((s) => s.name === "cmdline")!.bufsz).toBe("0x2");
  });

  it("boot_params carry the running machine's e820 and point at the cmdline; the stub promises rsi = boot_params", () => {
    const memoryMap = readFirmwareMemmap(VM)!;
    const plan = planX86_64Kexec({ kernel: new Uint8Array(readFileSync(kernel!)), kernelPath: kernel!, cmdline: "c", memoryMap });
    const bp = plan.segments.find((s) => s.name === "boot_params")!;
    const decoded = BootParams.decode(bp.bytes);
    expect(decoded.e820.map((e) => [e.addr, e.size, e.type])).toEqual(memoryMap.ranges.map((r) => [r.start, r.size, r.type === "ram" ? E820Type.RAM : E820Type.RESERVED]));
    expect(decoded.cmdLinePtr).toBe(plan.segments.find((s) => s.name === "cmdline")!.mem);
    expect(plan.state.registers.get("rsi")).toBe(bp.mem);
    expect(plan.state.registers.get("rip")).toBe(0x1000000n + 0x200n);
  });

  it("a machine with RAM only above the kernel's pref_address is refused with a typed one-line error", () => {
    const tiny = MemoryMap.of([{ start: 0n, size: 0x9fc00n, type: "ram" }]);
    expect(() => planX86_64Kexec({ kernel: new Uint8Array(readFileSync(kernel!)), kernelPath: kernel!, cmdline: "c", memoryMap: tiny })).toThrow(/kernel load address|free RAM/);
  });

  it("--probe: the spin payload at 16 MiB and the promised state (rip = payload, rsi = boot_params); --probe with --kernel is a usage error", () => {
    const r = runCli(["kexec", "load", "--probe", "--dry-run", "--json", "--root", VM, "--arch", "x86_64"]);
    const plan = JSON.parse(r.stdout) as DryRun & { state: Record<string, string> };
    expect(plan.segments.map((s) => [s.name, s.mem, s.bufsz])).toContainEqual(["probe payload", "0x1000000", "0x2"]);
    expect(plan.state.rip).toBe("0x1000000");
    expect(plan.state.rsi).toBe("0x1f0000");
    const both = load("--probe");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --kernel FILE or --probe/);
  });

  it("--arch x86_32 from this (64-bit) machine: the IA-32 stub entered at its long-mode exit, KEXEC_ARCH_DEFAULT, the 32-bit state", () => {
    const k32 = fixtureKernel(KERNELS.x86_32);
    if (!k32) return;
    const r = runCli(["kexec", "load", "--dry-run", "--json", "--root", VM, "--arch", "x86_32", "--kernel", k32, "--cmdline", "c"]);
    const plan = JSON.parse(r.stdout) as DryRun;
    expect(BigInt(plan.entry)).toBe(0x100000n + BigInt(X86_32_HANDOFF_STUB.symbols.hd_entry64!));
    expect(plan.flags).toBe("0x0");
    expect(plan.segments.map((s) => s.name)).toEqual(["stub", "protected-mode kernel", "boot_params", "cmdline"]);
    const direct = planX86_32Kexec({ kernel: new Uint8Array(readFileSync(k32)), kernelPath: k32, cmdline: "c", memoryMap: readFirmwareMemmap(VM)!, runningArch: "x86_32" });
    expect(direct.entry, "from a 32-bit kernel (paging already off) the stub starts at its first byte").toBe(0x100000n);
    expect(direct.state.registers.get("esi")).toBe(0x1f0000n);
    expect(direct.state.registers.get("cr0") & 0x8000_0000n).toBe(0n);
  });

  it("--exec loads and starts in one process (the machine's kexec_loaded is not consulted: the load just happened); not with --crash", () => {
    const json = load("--cmdline", "c", "--exec", "--json");
    expect(json.stderr).toBe("");
    const both = JSON.parse(json.stdout) as { load: DryRun; exec: { call: string; dryRun: boolean; what: string } };
    expect(both.load.call).toBe("kexec_load");
    expect(both.load.segments.map((s) => s.name)).toContain("protected-mode kernel");
    expect(both.exec).toEqual({ call: "exec", dryRun: true, what: "reboot(LINUX_REBOOT_CMD_KEXEC)" });
    const text = load("--cmdline", "c", "--exec");
    expect(text.stdout.trim().split("\n").at(-1)).toBe("would call reboot(LINUX_REBOOT_CMD_KEXEC)");
    const crash = load("--cmdline", "c", "--exec", "--crash");
    expect(crash.code).toBe(2);
    expect(crash.stderr).toMatch(/started by a panic, not by --exec/);
  });

  it("--file prints the kexec_file_load call it would make", () => {
    const r = load("--file", "--cmdline", "x=1");
    expect(r.stdout.trim()).toBe(`would call kexec_file_load: kernel ${kernel}, initrd none, cmdline "x=1"`);
  });
});

describe("handoff kexec refusals and status (captured machine, host-safe)", () => {
  const variant = (edit: (root: string) => void) => {
    const root = tempDir("kexec-root-");
    cpSync(VM, root, { recursive: true });
    edit(root);
    return root;
  };

  it("kexec_load_disabled and lockdown are said plainly, in one line, exit 1", () => {
    const disabled = variant((r) => writeFileSync(join(r, "proc/sys/kernel/kexec_load_disabled"), "1\n"));
    const a = runCli(["kexec", "load", "--dry-run", "--root", disabled, "--arch", "x86_64", "--kernel", "/nonexistent"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^handoff: kexec_load: kexec is disabled on this machine \(\/proc\/sys\/kernel\/kexec_load_disabled/);
    expect(a.stderr.trim().split("\n")).toHaveLength(1);
    const locked = variant((r) => {
      mkdirSync(join(r, "sys/kernel/security"), { recursive: true });
      writeFileSync(join(r, "sys/kernel/security/lockdown"), "none [integrity] confidentiality\n");
    });
    const b = runCli(["kexec", "load", "--dry-run", "--root", locked, "--arch", "x86_64", "--kernel", "/nonexistent"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/locked down \(integrity.*use --file with a kernel signed/);
  });

  it("exec with nothing loaded says so; status reads kexec_loaded", () => {
    const r = runCli(["kexec", "exec", "--dry-run", "--root", VM]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("handoff: exec: nothing is loaded (run 'handoff kexec load' first)");
    const loaded = variant((root) => writeFileSync(join(root, "sys/kernel/kexec_loaded"), "1\n"));
    expect(runCli(["kexec", "exec", "--dry-run", "--root", loaded]).stdout.trim()).toBe("would call reboot(LINUX_REBOOT_CMD_KEXEC)");
    const status = JSON.parse(runCli(["kexec", "status", "--json", "--root", loaded]).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ loaded: true, loadDisabled: false });
  });

  it.skipIf(!kernel)("without --dry-run on this host the real backend refuses (the guard), even with HANDOFF_KEXEC_REAL=1", () => {
    // `load`, never `exec`: should the guard ever break, a load on the host is refused by the kernel or unloaded, never a reboot.
    const r = spawnSync(process.execPath, [BIN, "kexec", "load", "--root", VM, "--arch", "x86_64", "--kernel", kernel!, "--cmdline", "x"], {
      encoding: "utf8",
      env: { ...process.env, HANDOFF_KEXEC_REAL: "1" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^handoff: (guard: this process belongs to a handoff test run|kexec_load: needs root)/);
    // With the environment cleared the run's registration still refuses it.
    const bare = spawnSync(process.execPath, [BIN, "kexec", "load", "--root", VM, "--arch", "x86_64", "--kernel", kernel!, "--cmdline", "x"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toMatch(/^handoff: (guard: a handoff test run \(pid \d+.*\) is active on this machine|kexec_load: needs root)/);
  });
});
