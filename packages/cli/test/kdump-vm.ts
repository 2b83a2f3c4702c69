/**
 * The kdump VM cases shared by every arch (kdump-vm.test.ts: x86_64,
 * kdump-vm-arm.test.ts: arm64 and arm32): boot the first kernel with
 * crashkernel=, wait for /init's panic line, time the capture kernel to its
 * marker, and read what the capture kernel's /init found in /proc/vmcore.
 * Nothing here calls kexec on the host.
 */
import { withQemu, type QemuOptions } from "@handoff/qemu";
import { crashDumpRanges, crashRegionsFromIomem, parseIomem, systemRamFromIomem } from "@handoff/core/kexec";
import { CAPTURE_LINE, VM_CRASH_KERNEL, VM_FAILED_LINE, VM_GUARD_PARAM, VM_PANIC_LINE, VM_TOKEN_LINE } from "@handoff/test-support/kexec-vm";

/** What one crash case showed. */
export interface CrashRun {
  readonly serial: string;
  readonly token: string;
  readonly panicToMarker: number;
}

/** Boot `qemu` (its -initrd already in extraArgs) on `crashCase` with crashkernel= and `console`; wait for the capture kernel's marker. */
export async function runCrashCase(qemu: QemuOptions, console: string, crashCase: string): Promise<CrashRun> {
  const lifetime = qemu.lifetimeMs!;
  const append = `${console} quiet ${VM_GUARD_PARAM} handoff.case=${crashCase} crashkernel=${VM_CRASH_KERNEL}`;
  return withQemu({ ...qemu, extraArgs: [...(qemu.extraArgs ?? []), "-append", append] }, async (vm) => {
    await vm.waitForSerial(new RegExp(`${VM_PANIC_LINE}|${VM_FAILED_LINE}`), lifetime);
    if (vm.serial.includes(VM_FAILED_LINE)) throw new Error(`the crash load failed in the VM:\n${vm.serial.slice(-3000)}`);
    const panicAt = Date.now();
    await vm.waitForSerial(new RegExp(`HANDOFF-MARKER: crash-${crashCase}[^\\n]*\\n`), lifetime);
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
export function expectedDumpBytes(serial: string): bigint {
  const entries = parseIomem(firstKernelIomem(serial));
  return crashDumpRanges(systemRamFromIomem(entries), crashRegionsFromIomem(entries, undefined).all).reduce((sum, r) => sum + (r.end - r.start), 0n);
}

/** The release the first kernel printed. */
export const firstKernelRelease = (serial: string): string | undefined => /HANDOFF-VM: release (\S+)/.exec(serial)?.[1];

/** The capture kernel's findings: the ELF identification and program headers, vmcoreinfo's OSRELEASE, the token it found. */
export function captured(serial: string, crashCase: string) {
  const elf = new RegExp(`${CAPTURE_LINE}elf (\\w+) class (\\d+) type (\\d+) machine (\\d+) phnum (\\d+) loads (\\d+) bytes (-?\\d+)`).exec(serial);
  const release = new RegExp(`${CAPTURE_LINE}OSRELEASE=(\\S+)`).exec(serial)?.[1];
  const marker = new RegExp(`HANDOFF-MARKER: crash-${crashCase} ?(\\S*)`).exec(serial);
  return {
    elf: elf ? { magic: elf[1], elfClass: Number(elf[2]), type: Number(elf[3]), machine: Number(elf[4]), phnum: Number(elf[5]), loads: Number(elf[6]), bytes: BigInt(elf[7]!) } : undefined,
    release,
    /** Each PT_LOAD's p_memsz as the capture kernel's /init read it. */
    loadSizes: [...serial.matchAll(new RegExp(`${CAPTURE_LINE}load offset \\d+ memsz (\\d+)`, "g"))].map((m) => BigInt(m[1]!)),
    token: marker?.[1],
  };
}
