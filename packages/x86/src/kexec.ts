import { MemoryMap, subtractRange, type AddressRange, type LinuxKexecRequest, type MemoryRange } from "@handoff/core";
import { kexecLoadSegment, type KexecLoadSegment } from "@handoff/core/kexec";
import { planX86Linux, type X86LinuxPlan, type X86StubLayout } from "./linux-boot.js";

const PAGE = 0x1000n;
/** The real-mode megabyte: its RAM stays RAM for a capture kernel (the first kernel never allocates there, 6.1 "x86/setup: Always reserve the first 1M of RAM"). */
const LOW_MEGABYTE = 0x10_0000n;

/** What a crash load changes in the plan: the capture kernel's e820 and the pages handoff keeps for itself. */
export interface X86KexecPlanOptions {
  readonly e820?: MemoryMap;
  /** Ranges beyond the stub pages that nothing may be placed in (the ELF core header). */
  readonly keepOut?: readonly AddressRange[];
}

/**
 * The Linux plan of a live kexec on x86, either width: kernel at pref_address,
 * boot_params with the e820 of `request.memoryMap` (or `options.e820`) in the
 * stub layout's boot data page, command line, initrd high, and the firmware
 * facts of the running kernel's boot_params when given; and its segments for kexec_load.
 */
export function planX86LinuxKexec(
  request: LinuxKexecRequest,
  layout: Pick<X86StubLayout, "stub" | "bootData">,
  entry64: boolean,
  options: X86KexecPlanOptions = {},
): { plan: X86LinuxPlan; segments: KexecLoadSegment[] } {
  const plan = planX86Linux({
    kernel: request.kernel,
    kernelPath: request.kernelPath,
    initrd: request.initrd,
    cmdline: request.cmdline,
    memoryMap: request.memoryMap,
    ...(options.e820 !== undefined ? { e820: options.e820 } : {}),
    bootData: layout.bootData,
    keepOut: [{ start: layout.stub, end: layout.bootData }, ...(options.keepOut ?? [])],
    entry64,
    ...(request.runningBootParams ? { runningBootParams: request.runningBootParams } : {}),
    ...(request.runningEfi ? { runningEfi: request.runningEfi } : {}),
  });
  return { plan, segments: plan.segments.map((s) => kexecLoadSegment((s.data as { bytes: Uint8Array }).bytes, s.mem, s.name ?? s.role)) };
}

/**
 * The e820 a capture kernel gets, as Linux builds it for kexec_file_load
 * (6.1 arch/x86/kernel/crash.c, crash_setup_memmap_entries): the RAM of the
 * first megabyte, every non-RAM range of the running machine's map (ACPI
 * tables and NVS, reserved: the capture kernel still needs its firmware
 * tables), and the crash regions as RAM less `exclude` (the ELF core header,
 * which must survive until /proc/vmcore has read it); pieces under a page are dropped.
 */
export function x86CaptureE820(firmware: MemoryMap, crashRegions: readonly AddressRange[], exclude: readonly AddressRange[]): MemoryMap {
  const ranges: MemoryRange[] = [];
  for (const r of firmware.ranges) {
    if (r.type !== "ram") ranges.push(r);
    else if (r.start < LOW_MEGABYTE) ranges.push({ ...r, size: (r.start + r.size > LOW_MEGABYTE ? LOW_MEGABYTE : r.start + r.size) - r.start });
  }
  for (const c of crashRegions) {
    let pieces: AddressRange[] = [{ start: c.start > LOW_MEGABYTE ? c.start : LOW_MEGABYTE, end: c.end }];
    for (const x of exclude) pieces = pieces.flatMap((p) => subtractRange(p, x));
    for (const p of pieces) if (p.end - p.start >= PAGE) ranges.push({ start: p.start, size: p.end - p.start, type: "ram" });
  }
  return MemoryMap.of(ranges);
}
