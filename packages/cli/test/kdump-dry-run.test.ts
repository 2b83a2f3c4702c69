/**
 * `handoff kexec load --crash` on the host: --dry-run against /proc and /sys
 * captured from the x86_64 test VM booted with crashkernel=160M
 * (packages/node/test/fixtures/running-x86_64-crash), and the refusals a user
 * meets: no crash region, a capture kernel or initrd too big for it. No test
 * here reaches a kexec system call (--dry-run uses the recording backend).
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PT_LOAD, PT_NOTE } from "@handoff/core/elf";
import { EM_X86_64 } from "@handoff/x86";
import { KEXEC_ON_CRASH, RecordingKexecBackend } from "@handoff/core/kexec";
import { BootParams, E820Type, pcMemoryMap, x86CaptureE820 } from "@handoff/x86";
import { PlacedMemory } from "@handoff/core/paging";
import { X86_64_HANDOFF_STUB, planX86_64CrashKexec, walkX86_64 } from "@handoff/x86_64";
import { readCrashFacts, readFirmwareMemmap } from "@handoff/node";
import { runCli } from "@handoff/test-support/cli";
import { KERNELS, REPO_ROOT, fixtureKernel, tempDir } from "@handoff/test-support";

const VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64-crash");
const NO_CRASH_VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64");
/** The captured crash region: /proc/iomem "15000000-1effffff : Crash kernel". */
const CRASH = { start: 0x1500_0000n, end: 0x1f00_0000n };
const kernel = fixtureKernel(KERNELS.x86_64);

interface DryRun {
  readonly call: string;
  readonly crash: boolean;
  readonly entry: string;
  readonly flags: string;
  readonly segments: { mem: string; memsz: string; bufsz: string; name: string }[];
}

const crashLoad = (root: string, ...args: string[]) => runCli(["kexec", "load", "--crash", "--dry-run", "--root", root, "--arch", "x86_64", "--kernel", kernel!, ...args]);

/** Program headers of an ELF64 little-endian core header: [type, offset, paddr, filesz]. */
function phdrs(bytes: Uint8Array): [number, bigint, bigint, bigint][] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  return Array.from({ length: v.getUint16(56, true) }, (_, i) => {
    const at = phoff + i * 56;
    return [v.getUint32(at, true), v.getBigUint64(at + 8, true), v.getBigUint64(at + 24, true), v.getBigUint64(at + 32, true)];
  });
}

/** The plan for the captured machine, straight from the x86_64 crash planner. */
function plan(initrd?: Uint8Array, cmdline = "console=ttyS0 crashkernel=160M nr_cpus=1") {
  const facts = readCrashFacts(VM);
  return planX86_64CrashKexec({
    kernel: new Uint8Array(readFileSync(kernel!)),
    kernelPath: kernel!,
    ...(initrd ? { initrd } : {}),
    cmdline,
    memoryMap: readFirmwareMemmap(VM)!,
    crashRegion: facts.regions.main,
    crashRegions: facts.regions.all,
    systemRam: facts.systemRam,
    notes: facts.notes,
  });
}

describe("the running machine's crash facts (captured tree)", () => {
  it("reads the crash region, System RAM, vmcoreinfo and each CPU's crash_notes", () => {
    const f = readCrashFacts(VM);
    expect(f.regions.main).toEqual(CRASH);
    expect(f.systemRam).toEqual([
      { start: 0x1000n, end: 0x9fc00n },
      { start: 0x100000n, end: 0x1ffe0000n },
    ]);
    expect(f.notes.map((n) => [n.address, n.size])).toEqual([
      [0x11e2000n, 0x1024n], // "%x": VMCOREINFO_NOTE_SIZE, 4 KiB of text plus the note header
      [0x1f239400n, 368n],
      [0x1f339400n, 368n],
    ]);
  });

  it("a machine booted without crashkernel= is refused in one line that says so", () => {
    expect(() => readCrashFacts(NO_CRASH_VM)).toThrow(/booted without crashkernel=.*no "Crash kernel"/);
  });
});

describe.skipIf(!kernel)("handoff kexec load --crash --dry-run (x86_64, the crashkernel=160M test VM)", () => {
  it("every segment lies inside the crash region; KEXEC_ON_CRASH with the x86_64 arch; entered at the stub's 64-bit entry", () => {
    const initrd = join(tempDir("kdump-initrd-"), "initrd");
    writeFileSync(initrd, Buffer.alloc(300_000, 7));
    const r = crashLoad(VM, "--initrd", initrd, "--cmdline", "console=ttyS0", "--json");
    expect(r.stderr).toBe("");
    const p = JSON.parse(r.stdout) as DryRun;
    expect(p.crash).toBe(true);
    expect(BigInt(p.flags)).toBe(0x3e0000n | KEXEC_ON_CRASH);
    expect(BigInt(p.entry)).toBe(CRASH.start + BigInt(X86_64_HANDOFF_STUB.symbols.hd_entry64!));
    expect(p.segments.map((s) => s.name)).toEqual(["stub", "page tables", "protected-mode kernel", "boot_params", "cmdline", "initrd", "ELF core header"]);
    for (const s of p.segments) {
      expect(BigInt(s.mem) >= CRASH.start && BigInt(s.mem) + BigInt(s.memsz) <= CRASH.end, `${s.name} at ${s.mem}`).toBe(true);
    }
    // The kernel at the first kernel_alignment (2 MiB) boundary above handoff's pages; the initrd at the region's top.
    expect(p.segments.find((s) => s.name === "protected-mode kernel")!.mem).toBe("0x15200000");
    const initrdSeg = p.segments.find((s) => s.name === "initrd")!;
    expect(BigInt(initrdSeg.mem) + BigInt(initrdSeg.memsz)).toBe(CRASH.end);
  });

  it("the stub's identity tables map the capture kernel's low RAM (its e820 keeps it): the BIOS data area and the trampoline room of an LA57 CPU", () => {
    const p = plan();
    const tables = p.segments.find((s) => s.name === "page tables")!;
    const mem = new PlacedMemory([{ pa: tables.mem, bytes: tables.bytes }]);
    const r = p.state.registers;
    const regs = { cr0: r.get("cr0"), cr3: r.get("cr3"), cr4: r.get("cr4"), efer: r.get("efer") };
    // Linux 6.1's decompressor reads 0x40e and 0x413 and, changing to 5-level paging, writes its trampoline below 640 KiB.
    for (const va of [0x413n, 0x9e000n]) expect(walkX86_64(mem, regs, va), `va 0x${va.toString(16)}`).toMatchObject({ kind: "translation", pa: va, attributes: { writable: true } });
    // The EBDA, the legacy hole and the dead kernel's RAM outside the crash region stay unmapped.
    for (const va of [0x9fc00n, 0xb8000n, 0x100_0000n]) expect(walkX86_64(mem, regs, va).kind, `va 0x${va.toString(16)}`).toBe("fault");
    expect(walkX86_64(mem, regs, CRASH.start + 0x20_0000n)).toMatchObject({ kind: "translation" });
  });

  it("the ELF core header: the vmcoreinfo and per-CPU notes, then a PT_LOAD per System RAM range outside the crash region", () => {
    const header = plan().segments.find((s) => s.name === "ELF core header")!;
    const b = header.bytes;
    expect([...b.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(new DataView(b.buffer, b.byteOffset).getUint16(18, true)).toBe(EM_X86_64);
    expect(phdrs(b)).toEqual([
      [PT_NOTE, 0x11e2000n, 0x11e2000n, 0x1024n],
      [PT_NOTE, 0x1f239400n, 0x1f239400n, 368n],
      [PT_NOTE, 0x1f339400n, 0x1f339400n, 368n],
      [PT_LOAD, 0x1000n, 0x1000n, 0x9ec00n],
      [PT_LOAD, 0x100000n, 0x100000n, CRASH.start - 0x100000n],
      [PT_LOAD, CRASH.end, CRASH.end, 0x1ffe0000n - CRASH.end],
    ]);
  });

  it("the capture kernel's e820 is the low megabyte's RAM, the firmware's reservations and the crash region less the header; its cmdline gets elfcorehdr= and loses crashkernel=", () => {
    const p = plan();
    const header = p.segments.find((s) => s.name === "ELF core header")!;
    const bp = BootParams.decode(p.segments.find((s) => s.name === "boot_params")!.bytes);
    const ram = bp.e820.filter((e) => e.type === E820Type.RAM).map((e) => [e.addr, e.addr + e.size]);
    expect(ram).toEqual([
      [0n, 0x9fc00n],
      [CRASH.start, header.mem],
      [header.mem + header.memsz, CRASH.end],
    ]);
    expect(bp.e820.filter((e) => e.type !== E820Type.RAM).map((e) => e.addr)).toEqual(readFirmwareMemmap(VM)!.ranges.filter((r) => r.type !== "ram").map((r) => r.start));
    const cmdline = new TextDecoder().decode(p.segments.find((s) => s.name === "cmdline")!.bytes).replace(/\0$/, "");
    expect(cmdline).toBe(`console=ttyS0 nr_cpus=1 elfcorehdr=0x${header.mem.toString(16)}`);
    expect(p.state.registers.get("rsi")).toBe(p.segments.find((s) => s.name === "boot_params")!.mem);
  });

  it("the recording backend receives exactly the planned segments and flags", async () => {
    const p = plan();
    const backend = new RecordingKexecBackend();
    await backend.kexecLoad(p);
    await backend.unload(false, true);
    expect(backend.calls[0]).toMatchObject({ call: "kexec_load", request: { flags: p.flags, entry: p.entry } });
    expect(backend.calls[1]).toEqual({ call: "unload", file: false, crash: true });
  });

  it("refusals, each one line: no crash region; a capture kernel or initrd too big for the region; --probe with --crash", () => {
    const none = crashLoad(NO_CRASH_VM);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
    expect(none.stderr).toMatch(/booted without crashkernel=/);

    const small = tempDir("kdump-small-");
    cpSync(VM, small, { recursive: true });
    const iomem = join(small, "proc/iomem");
    writeFileSync(iomem, readFileSync(iomem, "utf8").replace("15000000-1effffff : Crash kernel", "15000000-15ffffff : Crash kernel"));
    writeFileSync(join(small, "sys/kernel/kexec_crash_size"), "16777216\n");
    const tooSmall = crashLoad(small);
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.stderr.trim().split("\n")).toHaveLength(1);
    expect(tooSmall.stderr).toMatch(/capture kernel .*does not fit the crash region \[0x15000000, 0x16000000\) of 16 MiB; boot the running kernel with a larger crashkernel=/);

    const big = join(tempDir("kdump-big-"), "initrd");
    writeFileSync(big, Buffer.alloc(150 * 1024 * 1024));
    const bigInitrd = crashLoad(VM, "--initrd", big);
    expect(bigInitrd.code).toBe(1);
    expect(bigInitrd.stderr).toMatch(/initrd.*does not fit the crash region/);

    const zero = tempDir("kdump-zero-");
    cpSync(VM, zero, { recursive: true });
    writeFileSync(join(zero, "sys/kernel/kexec_crash_size"), "0\n");
    expect(crashLoad(zero).stderr).toMatch(/kexec_crash_size is 0/);

    const probe = runCli(["kexec", "load", "--crash", "--probe", "--dry-run", "--root", VM, "--arch", "x86_64"]);
    expect(probe.code).toBe(2);
  });

  it("--file --crash hands the files to kexec_file_load with KEXEC_FILE_ON_CRASH; unload --crash and status name the crash image", () => {
    const file = JSON.parse(crashLoad(VM, "--file", "--cmdline", "x", "--json").stdout) as { flags: string; call: string };
    expect(file).toMatchObject({ call: "kexec_file_load", flags: "0x2" });
    expect(runCli(["kexec", "unload", "--crash", "--dry-run", "--root", VM]).stdout).toBe("would call kexec_load with no segments and KEXEC_ON_CRASH\n");
    expect(runCli(["kexec", "unload", "--crash", "--file", "--dry-run", "--root", VM]).stdout).toMatch(/KEXEC_FILE_UNLOAD \| KEXEC_FILE_ON_CRASH/);
    const status = runCli(["kexec", "status", "--root", VM]).stdout;
    expect(status).toContain("crash image loaded: no");
    expect(status).toContain("crash region: 167772160 bytes (160 MiB)");
    expect(runCli(["kexec", "status", "--root", NO_CRASH_VM]).stdout).toContain("crash region: unknown");
  });
});

describe("x86CaptureE820", () => {
  it("keeps RAM below 1 MiB and every non-RAM range, adds crash regions (low and high) as RAM less the excluded header, drops sub-page pieces", () => {
    // QEMU -M pc with 6 GiB: RAM split around the PCI hole, SeaBIOS and HyperTransport reservations.
    const firmware = pcMemoryMap(6n << 30n);
    const low = { start: 0x3000_0000n, end: 0x4000_0000n };
    const high = { start: 0x1_8000_0000n, end: 0x1_9000_0000n };
    const e = x86CaptureE820(firmware, [low, high], [{ start: 0x1_8000_0000n, end: 0x1_8000_1000n }, { start: 0x3000_0800n, end: 0x3800_0000n }]);
    expect(e.ram().map((r) => [r.start, r.start + r.size])).toEqual([[0n, 0x9fc00n], [0x3800_0000n, 0x4000_0000n], [0x1_8000_1000n, 0x1_9000_0000n]]);
    expect(e.ranges.filter((r) => r.type !== "ram")).toEqual(firmware.ranges.filter((r) => r.type !== "ram"));
  });
});
