/**
 * kdump for real, inside QEMU: the fixture kernel boots with crashkernel=, its
 * /init stores a random token in a tmpfs file, loads the fixture kernel as the
 * capture kernel (`handoff kexec load --crash`, or kexec-tools `-p` as the
 * reference) and panics it (sysrq c). The capture kernel's /init reads
 * /proc/vmcore with busybox and prints what it found; this test checks it: an
 * ELF64 core for x86_64, vmcoreinfo naming the first kernel's release, load
 * segments adding up to the first kernel's RAM outside the crash region (from
 * its own /proc/iomem), and the token. Nothing here calls kexec on the host.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IN_CI, KERNELS, REPO_ROOT, fixtureKernel, requireTool } from "@handoff/test-support";
import { staticBusybox } from "@handoff/test-support/busybox";
import { VM_CRASH_MEMORY, kexecVmInitramfs } from "@handoff/test-support/kexec-vm";
import { kexecToolsUnavailable, prepareKexecTools } from "./kexec-tools.js";
import { captured, expectedDumpBytes, firstKernelRelease, runCrashCase, type CrashRun } from "./kdump-vm.js";

const kernel = fixtureKernel(KERNELS.x86_64);
// clang and binutils build the capture initramfs' token scanner (test-support/vm/find-token.c).
const busybox = kernel && requireTool("qemu-system-x86_64") && requireTool("clang") && requireTool("x86_64-linux-gnu-ld") ? staticBusybox("x86_64") : undefined;
const bundle = join(REPO_ROOT, "packages/cli/dist/handoff.cjs");
if (!existsSync(bundle) && IN_CI) throw new Error(`${bundle} is missing: npm run build first`);
const toolsMissing = kexecToolsUnavailable();
const ready = kernel !== undefined && busybox !== undefined && existsSync(bundle);

/** Boot, load, panic, capture kernel boot and a scan of the whole dump, under TCG on a loaded 2-core machine. */
const VM_LIFETIME_MS = 200_000;

/** The x86_64 VM (on QEMU's `cpu` model, default qemu64) booted on `crashCase`, with the kexec-tools reference when it is available. */
function runX86CrashCase(crashCase: string, cpu?: string): Promise<CrashRun> {
  const initrd = kexecVmInitramfs({ arch: "x86_64", busybox: busybox!, node: process.execPath, kernel: kernel!, ...(toolsMissing === undefined ? { kexecTools: prepareKexecTools() } : {}) });
  return runCrashCase({ arch: "x86_64", kernel: kernel!, memory: VM_CRASH_MEMORY, lifetimeMs: VM_LIFETIME_MS, ...(cpu ? { cpu } : {}), extraArgs: ["-initrd", initrd] }, "console=ttyS0", crashCase);
}

describe.skipIf(!ready)("kdump inside an x86_64 VM (fixture kernel -> capture kernel after a panic)", () => {
  it("handoff kexec load --crash: the capture kernel reads the dead kernel's memory from /proc/vmcore", async () => {
    const r = await runX86CrashCase("crash");
    expect(r.serial).toContain("loaded with kexec_load (crash kernel, run at a panic): x86_64");
    expect(r.serial).toContain("crash image loaded: yes");
    const c = captured(r.serial, "crash");
    // ELF magic, ELFCLASS64, ET_CORE, EM_X86_64.
    expect(c.elf).toMatchObject({ magic: "7f454c46", elfClass: 2, type: 4, machine: 62 });
    expect(c.release).toBe(firstKernelRelease(r.serial));
    expect(c.elf!.bytes, "PT_LOAD sizes add up to the first kernel's System RAM outside the crash region").toBe(expectedDumpBytes(r.serial));
    expect(c.token, "the token the first kernel wrote into tmpfs is in the dump").toBe(r.token);
    console.log(`kdump x86_64, handoff kexec_load --crash: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker (${c.elf!.loads} PT_LOADs, ${c.elf!.bytes} bytes scanned)`);
  }, VM_LIFETIME_MS + 30_000);

  it("on an LA57 CPU (-cpu max): the capture kernel's decompressor finds the BIOS data area and its trampoline's low RAM mapped", async () => {
    // Entered with 4-level paging on a CPU with LA57, Linux 6.1's decompressor reads page 0 (0x40e, 0x413) and builds
    // its 5-level trampoline below 640 KiB before it has a page-fault handler; the capture kernel's e820 keeps that
    // low RAM, so the stub's tables must map it (with only the crash region mapped it triple-faulted at CR2=0x413).
    const r = await runX86CrashCase("crash", "max");
    const c = captured(r.serial, "crash");
    expect(c.elf).toMatchObject({ magic: "7f454c46", elfClass: 2, type: 4, machine: 62 });
    expect(c.elf!.bytes, "PT_LOAD sizes add up to the first kernel's System RAM outside the crash region").toBe(expectedDumpBytes(r.serial));
    expect(c.token, "the token the first kernel wrote into tmpfs is in the dump").toBe(r.token);
    console.log(`kdump x86_64 on -cpu max (LA57), handoff kexec_load --crash: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker`);
  }, VM_LIFETIME_MS + 30_000);

  it.skipIf(toolsMissing !== undefined)("kexec-tools -p on the same inputs (the reference)", async () => {
    const r = await runX86CrashCase("tools-crash");
    const c = captured(r.serial, "tools-crash");
    expect(c.elf).toMatchObject({ magic: "7f454c46", elfClass: 2, type: 4, machine: 62 });
    expect(c.release).toBe(firstKernelRelease(r.serial));
    expect(c.token).toBe(r.token);
    console.log(`kdump x86_64, kexec-tools -p: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker (${c.elf!.loads} PT_LOADs, ${c.elf!.bytes} bytes)`);
  }, VM_LIFETIME_MS + 30_000);
});
