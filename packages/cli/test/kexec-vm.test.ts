/**
 * `handoff kexec` for real, inside QEMU: the fixture kernel boots an initramfs
 * holding node, the single-file CLI and koffi; /init loads the fixture kernel
 * again (with the marker initramfs) and execs it; the second kernel prints the
 * marker with the command line handoff gave it. kexec-tools runs in the same
 * image on the same inputs as the reference, and both times from exec to the
 * marker are logged. Nothing here calls kexec on the host.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRegisters, describeMismatches, withQemu, type QemuMachine } from "@handoff/qemu";
import { readFirmwareMemmap } from "@handoff/node";
import { X86_64_HANDOFF_STUB, X86_64_KEXEC_PROBE_ENTRY, planX86_64KexecProbe } from "@handoff/x86_64";
import { ARCHS } from "@handoff/test-support/archs";
import { IN_CI, KERNELS, REPO_ROOT, fixtureKernel, requireTool } from "@handoff/test-support";
import { staticBusybox } from "@handoff/test-support/busybox";
import { VM_EXEC_LINE, VM_FAILED_LINE, VM_GUARD_PARAM, kexecVmInitramfs } from "@handoff/test-support/kexec-vm";
import { kexecToolsUnavailable, prepareKexecTools } from "./kexec-tools.js";

const kernel = fixtureKernel(KERNELS.x86_64);
const busybox = kernel && requireTool("qemu-system-x86_64") ? staticBusybox("x86_64") : undefined;
const bundle = join(REPO_ROOT, "packages/cli/dist/handoff.cjs");
if (!existsSync(bundle) && IN_CI) throw new Error(`${bundle} is missing: npm run build first`);
const toolsMissing = kexecToolsUnavailable();
if (toolsMissing !== undefined) {
  if (IN_CI) throw new Error(`kexec-tools reference: ${toolsMissing}`);
  console.warn(`\n*** kexec-tools reference skipped: ${toolsMissing} ***\n`);
}
const kernel32 = fixtureKernel(KERNELS.x86_32);
const busybox32 = kernel32 && busybox ? staticBusybox("x86_32") : undefined;
const ready = kernel !== undefined && busybox !== undefined && existsSync(bundle);

/** boot_params.acpi_rsdp_addr (bootparam.h, offset 0x070). */
const ACPI_RSDP_ADDR_OFFSET = 0x70;

/** CR4.LA57 (bit 12): 5-level paging is on. */
const CR4_LA57 = 1n << 12n;

/** Milliseconds the whole boot-load-exec-marker run may take under TCG on a loaded 2-core machine (90 s ran out at load ~20). */
const VM_LIFETIME_MS = 180_000;
/** Each case's bound: the VM's lifetime and the image build around it. */
const CASE_MS = VM_LIFETIME_MS + 30_000;

function image(): string {
  return kexecVmInitramfs({ arch: "x86_64", busybox: busybox!, node: process.execPath, kernel: kernel!, ...(kernel32 && busybox32 ? { kernel32: { kernel: kernel32, busybox: busybox32 } } : {}), ...(toolsMissing === undefined ? { kexecTools: prepareKexecTools() } : {}) });
}

/** Boot the VM on `kexecCase` (on QEMU's `cpu` model, default qemu64) and run `then` once /init has printed its exec line. */
async function bootCase<T>(kexecCase: string, smp: number, then: (vm: QemuMachine, execAt: number) => Promise<T>, cpu?: string): Promise<T> {
  const initrd = image();
  const append = `console=ttyS0 quiet ${VM_GUARD_PARAM} handoff.case=${kexecCase}`;
  return withQemu(
    { arch: "x86_64", kernel: kernel!, memory: "512M", lifetimeMs: VM_LIFETIME_MS, ...(cpu ? { cpu } : {}), extraArgs: ["-initrd", initrd, "-append", append, "-smp", String(smp)] },
    async (vm) => {
      await vm.waitForSerial(new RegExp(`${VM_EXEC_LINE}|${VM_FAILED_LINE}`), VM_LIFETIME_MS);
      if (vm.serial.includes(VM_FAILED_LINE)) throw new Error(`the load failed in the VM:\n${vm.serial.slice(-3000)}`);
      return then(vm, Date.now());
    },
  );
}

/** Boot the VM on `kexecCase`; returns the serial log and the seconds from the exec line to the marker. */
function runCase(kexecCase: string, smp = 1): Promise<{ serial: string; execToMarker: number }> {
  return bootCase(kexecCase, smp, async (vm, execAt) => {
    await vm.waitForSerial(`HANDOFF-MARKER: kexec-${kexecCase}`, VM_LIFETIME_MS);
    return { serial: vm.serial, execToMarker: (Date.now() - execAt) / 1000 };
  });
}

describe.skipIf(!ready)("handoff kexec inside an x86_64 VM (fixture kernel -> fixture kernel)", () => {
  it("kexec_load with handoff's segments and stub reaches the second kernel's marker", async () => {
    const r = await runCase("load");
    expect(r.serial).toContain("loaded with kexec_load: x86_64");
    expect(r.serial).toContain("kexec image loaded: yes");
    expect(r.serial).toMatch(/Command line: console=ttyS0 handoff\.marker=kexec-load/);
    // boot_params from the running kernel's: the second kernel keeps its VGA text console (screen_info) and finds
    // the firmware's ACPI tables where the first one did (acpi_rsdp_addr; SeaBIOS's RSDP is also found by scanning).
    // The first kernel boots quietly: its acpi_rsdp_addr is the one captured from this VM's boot_params.
    const second = r.serial.split(VM_EXEC_LINE)[1]!;
    const captured = readFileSync(join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64-crash/sys/kernel/boot_params/data"));
    const rsdp = captured.readBigUInt64LE(ACPI_RSDP_ADDR_OFFSET);
    // Matched loosely around "ACPI:": under load the TCG serial line has dropped single characters ("ACPI:RSDP").
    expect(second).toMatch(new RegExp(`RSDP 0x${rsdp.toString(16).toUpperCase().padStart(16, "0")} `));
    expect(second).toMatch(/ACPI: FACP 0x[0-9A-F]{16}/);
    expect(second).toMatch(/Console: colour VGA\+ 80x25/);
    // SeaBIOS: the running kernel has no /sys/firmware/efi, so efi_info stays zero (kexec-tools' --noefi) and the
    // second kernel, finding no EFI loader signature, never sets EFI up (no "efi: EFI v..." line).
    expect(r.serial.split(VM_EXEC_LINE)[0]).toContain("HANDOFF-VM: firmware: no-efi");
    expect(second).not.toMatch(/efi: EFI v/);
    console.log(`kexec x86_64 -> x86_64, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker`);
  }, CASE_MS);

  it("on an LA57 CPU (-cpu max): the second kernel's decompressor switches to 5-level paging through low memory and reaches the marker", async () => {
    // Linux 6.1's decompressor, entered with 4-level paging on a CPU with LA57, reads the BIOS data area in page 0
    // and builds its paging-mode trampoline below 640 KiB before it has a page-fault handler: handoff's identity
    // tables must map that low RAM (with only the segments mapped it triple-faulted at CR2=0x413).
    const r = await bootCase(
      "load",
      1,
      async (vm, execAt) => {
        // The first kernel, just before the exec: CR4.LA57 set says this CPU has LA57 and the kernel runs 5-level paging.
        const cr4 = (await vm.registers(ARCHS.x86_64)).file.read("cr4").value;
        await vm.qmp.cont();
        await vm.waitForSerial("HANDOFF-MARKER: kexec-load", VM_LIFETIME_MS);
        return { serial: vm.serial, cr4, execToMarker: (Date.now() - execAt) / 1000 };
      },
      "max",
    );
    expect(r.cr4 & CR4_LA57, `cr4 0x${r.cr4.toString(16)}`).toBe(CR4_LA57);
    expect(r.serial).toContain("loaded with kexec_load: x86_64");
    expect(r.serial.split(VM_EXEC_LINE)[1]).toMatch(/Command line: console=ttyS0 handoff\.marker=kexec-load/);
    console.log(`kexec x86_64 -> x86_64 on -cpu max (LA57), handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker`);
  }, CASE_MS);

  it("a segment corrupted after planning: the stub's check reports it on COM1 and never enters the kernel", async () => {
    // /init sets HANDOFF_TEST_FLIP_SEGMENT: handoff flips one byte of the kernel segment after taking its digest (test VMs only).
    const failPc = 0x100000n + BigInt(X86_64_HANDOFF_STUB.symbols.hd_verify_fail!);
    const r = await bootCase("corrupt", 1, async (vm) => {
      await vm.waitForPc(failPc, ARCHS.x86_64, 60_000);
      await vm.waitForSerial("handoff: SHA-256 mismatch in segment 01", 10_000);
      const at = await vm.registers(ARCHS.x86_64);
      return { serial: vm.serial, index: at.file.read("rax").value & 0xffff_ffffn, pc: at.file.read("rip").value };
    });
    expect(r.pc).toBe(failPc);
    expect(r.index, "region 1: the kernel (region 0 is the page tables)").toBe(1n);
    expect(r.serial.split(VM_EXEC_LINE)[1]).not.toMatch(/Linux version|HANDOFF-MARKER/);
  }, CASE_MS);

  it("kexec_file_load (--file) reaches the marker too", async () => {
    const r = await runCase("file", 2);
    expect(r.serial).toContain("loaded with kexec_file_load");
    console.log(`kexec x86_64 -> x86_64, handoff kexec_file_load (-smp 2): ${r.execToMarker.toFixed(1)} s from exec to marker`);
  }, CASE_MS);

  it.skipIf(!busybox32)("x86_64 -> x86_32: the 686 bzImage through its 32-bit entry, the stub dropping out of long mode", async () => {
    const r = await runCase("cross32");
    expect(r.serial).toContain("loaded with kexec_load: x86_32");
    // The marker /init echoes handoff.marker= from the second kernel's /proc/cmdline: the command line handoff gave it.
    expect(r.serial).toContain("HANDOFF-MARKER: kexec-cross32");
    expect(r.serial, "the second kernel is the 32-bit one").toMatch(/Linux version 6\.1\.0-\d+-686 /);
    console.log(`kexec x86_64 -> x86_32, handoff kexec_load: ${r.execToMarker.toFixed(1)} s from exec to marker`);
  }, CASE_MS);

  it.skipIf(!busybox32 || toolsMissing !== undefined)("kexec-tools x86_64 -> x86_32 on the same inputs (the reference)", async () => {
    const r = await runCase("tools32");
    expect(r.serial).toContain("HANDOFF-MARKER: kexec-tools32");
    console.log(`kexec x86_64 -> x86_32, kexec-tools -l: ${r.execToMarker.toFixed(1)} s from exec to marker`);
  }, CASE_MS);

  it("--probe: after the running kernel's relocate_kernel and handoff's stub, every register at the payload is the promised one", async () => {
    // The VM is the machine the captured tree comes from (QEMU -M pc -m 512M): the same plan, so the same promise.
    const plan = planX86_64KexecProbe(readFirmwareMemmap(join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64"))!);
    const rows = await bootCase("probe", 1, async (vm) => compareRegisters(plan.state, await vm.waitForPc(X86_64_KEXEC_PROBE_ENTRY, ARCHS.x86_64, 30_000)));
    expect(rows).toHaveLength(16 + 2 + 8 * 4 + 4 + 4 + 1);
    expect(describeMismatches(rows)).toBe("");
    expect(rows.find((r) => r.name === "rsi")!.expected).toBe(0x1f0000n);
  }, CASE_MS);

  it.skipIf(toolsMissing !== undefined)("kexec-tools on the same inputs (the reference)", async () => {
    const r = await runCase("tools");
    expect(r.serial).toMatch(/Command line: console=ttyS0 handoff\.marker=kexec-tools/);
    console.log(`kexec x86_64 -> x86_64, kexec-tools -l: ${r.execToMarker.toFixed(1)} s from exec to marker`);
  }, CASE_MS);
});
