import { alignUp, type LinuxKexecRequest } from "@handoff/core";
import type { KexecLoadSegment } from "@handoff/core/kexec";
import { planX86Linux, type X86LinuxPlan, type X86StubLayout } from "./linux-boot.js";

const PAGE = 0x1000n;

/** One kexec_load segment: `bytes` at `mem`, its memory size rounded to whole pages. */
export function x86KexecSegment(bytes: Uint8Array, mem: bigint, name: string): KexecLoadSegment {
  return { bytes, mem, memsz: alignUp(BigInt(bytes.length), PAGE), name };
}

/**
 * The Linux plan of a live kexec on x86, either width: kernel at pref_address,
 * boot_params with the e820 of `request.memoryMap` in the stub layout's boot
 * data page, command line, initrd high; and its segments for kexec_load.
 */
export function planX86LinuxKexec(request: LinuxKexecRequest, layout: Pick<X86StubLayout, "stub" | "bootData">, entry64: boolean): { plan: X86LinuxPlan; segments: KexecLoadSegment[] } {
  const plan = planX86Linux({
    kernel: request.kernel,
    kernelPath: request.kernelPath,
    initrd: request.initrd,
    cmdline: request.cmdline,
    memoryMap: request.memoryMap,
    bootData: layout.bootData,
    keepOut: [{ start: layout.stub, end: layout.bootData }],
    entry64,
  });
  return { plan, segments: plan.segments.map((s) => x86KexecSegment((s.data as { bytes: Uint8Array }).bytes, s.mem, s.name ?? s.role)) };
}
