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
import { withQemu } from "@handoff/qemu";
import { crashDumpRanges, crashRegionsFromIomem, parseIomem, systemRamFromIomem } from "@handoff/core/kexec";
import { IN_CI, KERNELS, REPO_ROOT, fixtureKernel, requireTool } from "@handoff/test-support";
import { staticBusybox } from "@handoff/test-support/busybox";
import { CAPTURE_LINE, VM_CRASH_KERNEL, VM_CRASH_MEMORY, VM_FAILED_LINE, VM_GUARD_PARAM, VM_PANIC_LINE, VM_TOKEN_LINE, kexecVmInitramfs } from "@handoff/test-support/kexec-vm";
import { kexecToolsUnavailable, prepareKexecTools } from "./kexec-tools.js";

const kernel = fixtureKernel(KERNELS.x86_64);
// gcc builds the capture initramfs' token scanner (static, from test-support/vm/find-token.c).
const busybox = kernel && requireTool("qemu-system-x86_64") && requireTool("gcc") ? staticBusybox("x86_64") : undefined;
const bundle = join(REPO_ROOT, "packages/cli/dist/handoff.mjs");
if (!existsSync(bundle) && IN_CI) throw new Error(`${bundle} is missing: npm run build first`);
const toolsMissing = kexecToolsUnavailable();
const ready = kernel !== undefined && busybox !== undefined && existsSync(bundle);

/** Boot, load, panic, capture kernel boot and a scan of the whole dump, under TCG on a loaded 2-core machine. */
const VM_LIFETIME_MS = 200_000;

/** What one crash case showed. */
interface CrashRun {
  readonly serial: string;
  readonly token: string;
  readonly panicToMarker: number;
}

async function runCrashCase(crashCase: string): Promise<CrashRun> {
  const initrd = kexecVmInitramfs({ arch: "x86_64", busybox: busybox!, node: process.execPath, kernel: kernel!, ...(toolsMissing === undefined ? { kexecTools: prepareKexecTools() } : {}) });
  const append = `console=ttyS0 quiet ${VM_GUARD_PARAM} handoff.case=${crashCase} crashkernel=${VM_CRASH_KERNEL}`;
  return withQemu({ arch: "x86_64", kernel: kernel!, memory: VM_CRASH_MEMORY, lifetimeMs: VM_LIFETIME_MS, extraArgs: ["-initrd", initrd, "-append", append] }, async (vm) => {
    await vm.waitForSerial(new RegExp(`${VM_PANIC_LINE}|${VM_FAILED_LINE}`), VM_LIFETIME_MS);
    if (vm.serial.includes(VM_FAILED_LINE)) throw new Error(`the crash load failed in the VM:\n${vm.serial.slice(-3000)}`);
    const panicAt = Date.now();
    await vm.waitForSerial(new RegExp(`HANDOFF-MARKER: crash-${crashCase}[^\\n]*\\n`), VM_LIFETIME_MS);
    const token = new RegExp(`${VM_TOKEN_LINE}([0-9a-f]{32})`).exec(vm.serial)?.[1];
    if (token === undefined) throw new Error(`the first kernel printed no token:\n${vm.serial.slice(0, 3000)}`);
    return { serial: vm.serial.replace(/\r/g, ""), token, panicToMarker: (Date.now() - panicAt) / 1000 };
  });
}

/** The first kernel's /proc/iomem, as its /init printed it. */
function firstKernelIomem(serial: string): string {
  const m = /HANDOFF-FILE: \/proc\/iomem\n([\s\S]*?)HANDOFF-FILE: end/.exec(serial);
  if (!m) throw new Error("the first kernel's /proc/iomem is not in the serial log");
  return m[1]!;
}

/** RAM outside the crash region, in bytes, from the first kernel's own /proc/iomem. */
function expectedDumpBytes(serial: string): bigint {
  const entries = parseIomem(firstKernelIomem(serial));
  return crashDumpRanges(systemRamFromIomem(entries), crashRegionsFromIomem(entries, undefined).all).reduce((sum, r) => sum + (r.end - r.start), 0n);
}

/** The capture kernel's findings. */
function captured(serial: string, crashCase: string) {
  const elf = new RegExp(`${CAPTURE_LINE}elf (\\w+) class (\\d+) type (\\d+) machine (\\d+) phnum (\\d+) loads (\\d+) bytes (\\d+)`).exec(serial);
  const release = new RegExp(`${CAPTURE_LINE}OSRELEASE=(\\S+)`).exec(serial)?.[1];
  const marker = new RegExp(`HANDOFF-MARKER: crash-${crashCase} ?(\\S*)`).exec(serial);
  return {
    elf: elf ? { magic: elf[1], elfClass: Number(elf[2]), type: Number(elf[3]), machine: Number(elf[4]), phnum: Number(elf[5]), loads: Number(elf[6]), bytes: BigInt(elf[7]!) } : undefined,
    release,
    token: marker?.[1],
  };
}

describe.skipIf(!ready)("kdump inside an x86_64 VM (fixture kernel -> capture kernel after a panic)", () => {
  it("handoff kexec load --crash: the capture kernel reads the dead kernel's memory from /proc/vmcore", async () => {
    const r = await runCrashCase("crash");
    expect(r.serial).toContain("loaded with kexec_load (crash kernel, run at a panic): x86_64");
    expect(r.serial).toContain("crash image loaded: yes");
    const c = captured(r.serial, "crash");
    // ELF magic, ELFCLASS64, ET_CORE, EM_X86_64.
    expect(c.elf).toMatchObject({ magic: "7f454c46", elfClass: 2, type: 4, machine: 62 });
    expect(c.release).toBe(/HANDOFF-VM: release (\S+)/.exec(r.serial)?.[1]);
    expect(c.elf!.bytes, "PT_LOAD sizes add up to the first kernel's System RAM outside the crash region").toBe(expectedDumpBytes(r.serial));
    expect(c.token, "the token the first kernel wrote into tmpfs is in the dump").toBe(r.token);
    console.log(`kdump x86_64, handoff kexec_load --crash: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker (${c.elf!.loads} PT_LOADs, ${c.elf!.bytes} bytes scanned)`);
  }, VM_LIFETIME_MS + 30_000);

  it.skipIf(toolsMissing !== undefined)("kexec-tools -p on the same inputs (the reference)", async () => {
    const r = await runCrashCase("tools-crash");
    const c = captured(r.serial, "tools-crash");
    expect(c.elf).toMatchObject({ magic: "7f454c46", elfClass: 2, type: 4, machine: 62 });
    expect(c.release).toBe(/HANDOFF-VM: release (\S+)/.exec(r.serial)?.[1]);
    expect(c.token).toBe(r.token);
    console.log(`kdump x86_64, kexec-tools -p: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker (${c.elf!.loads} PT_LOADs, ${c.elf!.bytes} bytes)`);
  }, VM_LIFETIME_MS + 30_000);
});
