/**
 * Arm `handoff kexec load --crash` on the host: the planner and the CLI's
 * --dry-run against /proc and /sys captured from the Arm test VMs booted with
 * crashkernel=128M on -m 640M (packages/node/test/fixtures/running-arm64-crash,
 * -arm32-crash): every segment inside the crash region, KEXEC_ON_CRASH, the
 * ELF core header, how the capture kernel is told about it (arm64: /chosen
 * linux,elfcorehdr and linux,usable-memory-range; arm32: elfcorehdr= and mem=
 * on its command line), and the one-line refusals. Nothing here calls kexec.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError, type LinuxBootBuilder } from "@handoff/core";
import { DeviceTree, parseFdt } from "@handoff/core/fdt";
import { PT_LOAD, PT_NOTE } from "@handoff/core/elf";
import { EM_AARCH64, EM_ARM } from "@handoff/arm";
import { KEXEC_ON_CRASH, RecordingKexecBackend } from "@handoff/core/kexec";
import { readCrashFacts, readIomemMap } from "@handoff/node";
import { arm64LinuxBootBuilder } from "@handoff/arm64";
import { arm32LinuxBootBuilder } from "@handoff/arm32";
import { CHOSEN_ELFCOREHDR, CHOSEN_USABLE_MEMORY } from "@handoff/arm";
import { runCli } from "@handoff/test-support/cli";
import { KERNELS, REPO_ROOT, fixtureKernel, tempDir } from "@handoff/test-support";

const fixture = (name: string) => join(REPO_ROOT, `packages/node/test/fixtures/${name}`);
const SEED = Uint8Array.from({ length: 72 }, (_, i) => i + 1);
const INITRD = new Uint8Array(300_000).fill(7);
const CMDLINE = "console=ttyAMA0 crashkernel=128M elfcorehdr=0x1234 mem=64M nr_cpus=1";

/**
 * The captured facts: /proc/iomem's "Crash kernel" (arm64 reserves crashkernel= 2 MiB-aligned, arm 128 MiB-aligned),
 * vmcoreinfo (address, "%x" size) and cpu0's crash_notes.
 */
const CASES = [
  { arch: "arm64", builder: arm64LinuxBootBuilder, kernel: fixtureKernel(KERNELS.arm64), kernelName: "Image", machine: EM_AARCH64,
    crash: { start: 0x5b40_0000n, end: 0x6340_0000n }, notes: [[0x4230_0000n, 0x1024n], [0x67e9_5000n, 424n]] },
  { arch: "arm32", builder: arm32LinuxBootBuilder, kernel: fixtureKernel(KERNELS.arm32), kernelName: "zImage", machine: EM_ARM,
    crash: { start: 0x5800_0000n, end: 0x6000_0000n }, notes: [[0x41a3_0000n, 0x1024n], [0x66a4_6400n, 180n]] },
] as const;

/** System RAM of both VMs: QEMU -M virt -m 640M. */
const RAM = { start: 0x4000_0000n, end: 0x6800_0000n };

function plan(builder: LinuxBootBuilder, root: string, kernelPath: string, initrd: Uint8Array | undefined = INITRD) {
  const facts = readCrashFacts(root);
  return builder.kexecCrash!({
    kernel: new Uint8Array(readFileSync(kernelPath)),
    kernelPath,
    ...(initrd ? { initrd } : {}),
    cmdline: CMDLINE,
    memoryMap: readIomemMap(root),
    dtb: new Uint8Array(readFileSync(join(root, "sys/firmware/fdt"))),
    seed: SEED,
    crashRegion: facts.regions.main,
    crashRegions: facts.regions.all,
    systemRam: facts.systemRam,
    notes: facts.notes,
  });
}

/** Program headers of an ELF core header of either class: [type, offset, paddr, filesz]. */
function phdrs(b: Uint8Array): [number, bigint, bigint, bigint][] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const wide = b[4] === 2;
  const phoff = wide ? Number(v.getBigUint64(32, true)) : v.getUint32(28, true);
  const phnum = v.getUint16(wide ? 56 : 44, true);
  const word = (at: number) => (wide ? v.getBigUint64(at, true) : BigInt(v.getUint32(at, true)));
  return Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * (wide ? 56 : 32);
    return [v.getUint32(at, true), word(at + (wide ? 8 : 4)), word(at + (wide ? 24 : 12)), word(at + (wide ? 32 : 16))];
  });
}

/** A 300 kB initrd file in a temp dir. */
function initrdFile(): string {
  const path = join(tempDir("kdump-arm-initrd-"), "initrd");
  writeFileSync(path, INITRD);
  return path;
}

/** A copy of `root` whose crash region is `line` of /proc/iomem, `size` bytes. */
function withCrashRegion(root: string, from: string, line: string, size: bigint): string {
  const dir = tempDir("kdump-arm-");
  cpSync(root, dir, { recursive: true });
  const iomem = join(dir, "proc/iomem");
  writeFileSync(iomem, readFileSync(iomem, "utf8").replace(from, line));
  writeFileSync(join(dir, "sys/kernel/kexec_crash_size"), `${size}\n`);
  return dir;
}

for (const c of CASES) {
  const root = fixture(`running-${c.arch}-crash`);
  const crashLoad = (dir: string, ...args: string[]) => runCli(["kexec", "load", "--crash", "--dry-run", "--root", dir, "--arch", c.arch, "--kernel", c.kernel!, ...args]);
  const crashLine = `${c.crash.start.toString(16)}-${(c.crash.end - 1n).toString(16)} : Crash kernel`;

  describe.skipIf(!c.kernel)(`${c.arch} kexec load --crash (the crashkernel=128M test VM)`, () => {
    it("reads the crash region, System RAM, vmcoreinfo and the CPU's crash_notes", () => {
      const f = readCrashFacts(root);
      expect(f.regions.main).toEqual(c.crash);
      expect(f.systemRam).toEqual([RAM]);
      expect(f.notes.map((n) => [n.address, n.size])).toEqual(c.notes);
    });

    it("every segment lies inside the crash region, page-aligned; flags: the arch | KEXEC_ON_CRASH; entered at the stub", () => {
      const r = crashLoad(root, "--initrd", initrdFile(), "--cmdline", "console=ttyAMA0", "--json");
      expect(r.stderr).toBe("");
      const p = JSON.parse(r.stdout) as { crash: boolean; flags: string; entry: string; segments: { mem: string; memsz: string; name: string }[] };
      expect(p.crash).toBe(true);
      expect(BigInt(p.flags)).toBe((BigInt(c.machine) << 16n) | KEXEC_ON_CRASH);
      // arm64's stub checks over identity tables, one more segment inside the region.
      expect(p.segments.map((s) => s.name)).toEqual(["stub", ...(c.arch === "arm64" ? ["check tables"] : []), c.kernelName, "dtb", "initrd", "ELF core header"]);
      expect(BigInt(p.entry)).toBe(BigInt(p.segments[0]!.mem));
      for (const s of p.segments) {
        const [mem, memsz] = [BigInt(s.mem), BigInt(s.memsz)];
        expect(mem % 0x1000n, s.name).toBe(0n);
        expect(mem >= c.crash.start && mem + memsz <= c.crash.end, `${s.name} at ${s.mem}`).toBe(true);
      }
      // The header at the region's top (arm32's mem= ends below it).
      const header = p.segments.at(-1)!;
      expect(BigInt(header.mem) + BigInt(header.memsz)).toBe(c.crash.end);
    });

    it("the ELF core header: the arch's class and machine, the notes, then one PT_LOAD per System RAM range outside the crash region", () => {
      const b = plan(c.builder, root, c.kernel!).segments.find((s) => s.name === "ELF core header")!.bytes;
      expect([...b.subarray(0, 6)]).toEqual([0x7f, 0x45, 0x4c, 0x46, c.arch === "arm64" ? 2 : 1, 1]);
      const v = new DataView(b.buffer, b.byteOffset);
      expect([v.getUint16(16, true), v.getUint16(18, true)]).toEqual([4, c.machine]);
      expect(phdrs(b)).toEqual([
        ...c.notes.map(([a, s]) => [PT_NOTE, a, a, s]),
        [PT_LOAD, RAM.start, RAM.start, c.crash.start - RAM.start],
        [PT_LOAD, c.crash.end, c.crash.end, RAM.end - c.crash.end],
      ]);
    });

    it("the capture kernel's devicetree and command line say where the header is and which memory is its own", () => {
      const p = plan(c.builder, root, c.kernel!);
      const header = p.segments.find((s) => s.name === "ELF core header")!;
      const { tree } = parseFdt(p.segments.find((s) => s.name === "dtb")!.bytes, "planned dtb");
      const chosen = tree.root.child("chosen")!;
      const bootargs = chosen.property("bootargs")!.string();
      const [ac, sc] = [DeviceTree.addressCells(tree.root), DeviceTree.sizeCells(tree.root)];
      const initrd = p.segments.find((s) => s.name === "initrd")!;
      expect(chosen.property("linux,initrd-start")!.u64()).toBe(initrd.mem);
      if (c.arch === "arm64") {
        expect(chosen.property(CHOSEN_ELFCOREHDR)!.addressSizePairs(ac, sc)).toEqual([{ address: header.mem, size: BigInt(header.bytes.length) }]);
        expect(chosen.property(CHOSEN_USABLE_MEMORY)!.addressSizePairs(ac, sc)).toEqual([{ address: c.crash.start, size: c.crash.end - c.crash.start }]);
        // No elfcorehdr= on the command line: the devicetree's header is the one the kernel reserves.
        expect(bootargs).toBe("console=ttyAMA0 mem=64M nr_cpus=1");
      } else {
        expect(chosen.property(CHOSEN_ELFCOREHDR)).toBeUndefined();
        expect(chosen.property(CHOSEN_USABLE_MEMORY)).toBeUndefined();
        // The user's mem= is replaced by the crash region below the header.
        expect(bootargs).toBe(`console=ttyAMA0 nr_cpus=1 elfcorehdr=0x${header.mem.toString(16)} mem=0x${(header.mem - c.crash.start).toString(16)}@0x${c.crash.start.toString(16)}`);
        // The decompressor unpacks at (pc & 0xf8000000) + TEXT_OFFSET: the crash region's start.
        expect(p.entry).not.toBe(p.segments.find((s) => s.name === "zImage")!.mem);
        expect(p.segments.find((s) => s.name === "zImage")!.mem & ~0x7ff_ffffn).toBe(c.crash.start);
      }
      expect(p.state.registers.get(c.arch === "arm64" ? "x0" : "r2")).toBe(p.segments.find((s) => s.name === "dtb")!.mem);
    });

    it("the recording backend receives exactly the planned segments and flags", async () => {
      const p = plan(c.builder, root, c.kernel!);
      const backend = new RecordingKexecBackend();
      await backend.kexecLoad(p);
      expect(backend.calls[0]).toMatchObject({ call: "kexec_load", request: { flags: p.flags, entry: p.entry } });
    });

    it("refusals, each one line: no crash region, size 0, a capture kernel or initrd too big for the region", () => {
      const none = crashLoad(fixture(`running-${c.arch}`));
      expect(none.code).toBe(1);
      expect(none.stderr.trim().split("\n")).toHaveLength(1);
      expect(none.stderr).toMatch(/booted without crashkernel=/);

      const zero = withCrashRegion(root, crashLine, crashLine, 0n);
      expect(crashLoad(zero).stderr).toMatch(/kexec_crash_size is 0/);

      const small = withCrashRegion(root, crashLine, `${c.crash.start.toString(16)}-${(c.crash.start + 0xffffffn).toString(16)} : Crash kernel`, 0x100_0000n);
      const tooSmall = crashLoad(small);
      expect(tooSmall.code).toBe(1);
      expect(tooSmall.stderr.trim().split("\n")).toHaveLength(1);
      expect(tooSmall.stderr).toMatch(new RegExp(`capture kernel .*does not fit the crash region \\[0x${c.crash.start.toString(16)}, 0x${(c.crash.start + 0x100_0000n).toString(16)}\\) of 16 MiB; boot the running kernel with a larger crashkernel=`));

      const big = join(tempDir("kdump-arm-big-"), "initrd");
      writeFileSync(big, Buffer.alloc(120 * 1024 * 1024));
      const bigInitrd = crashLoad(root, "--initrd", big);
      expect(bigInitrd.code).toBe(1);
      expect(bigInitrd.stderr.trim().split("\n")).toHaveLength(1);
      expect(bigInitrd.stderr).toMatch(/initrd.*does not fit the crash region/);
    });

    it("--file --crash hands the files to kexec_file_load with KEXEC_FILE_ON_CRASH; status shows the crash region", () => {
      expect(JSON.parse(crashLoad(root, "--file", "--cmdline", "x", "--json").stdout)).toMatchObject({ call: "kexec_file_load", flags: "0x2" });
      expect(runCli(["kexec", "status", "--root", root]).stdout).toContain("crash region: 134217728 bytes (128 MiB)");
    });
  });
}

describe.skipIf(!CASES[1].kernel)("arm32 crash region the decompressor cannot unpack into", () => {
  it("a crash region not on a 128 MiB boundary is refused: pc & 0xf8000000 would put the kernel below it", () => {
    const root = fixture("running-arm32-crash");
    const shifted = withCrashRegion(root, "58000000-5fffffff : Crash kernel", "5c000000-63ffffff : Crash kernel", 0x800_0000n);
    expect(() => plan(arm32LinuxBootBuilder, shifted, CASES[1].kernel!)).toThrow(ValidationError);
    const r = runCli(["kexec", "load", "--crash", "--dry-run", "--root", shifted, "--arch", "arm32", "--kernel", CASES[1].kernel!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/decompressor would write the kernel at 0x58008000 .*outside the crash region \[0x5c000000, 0x64000000\)/);
  });
});
