import { MemoryMap, ValidationError, alignUp, type HandoffState, type LinuxCrashKexecRequest, type LinuxKexecPlan, type LinuxKexecRequest } from "@handoff/core";
import { IND_DONE, KEXEC_ON_CRASH, kexecLoadSegment, kexecSegmentCheck, buildCrashElfHeader, captureCmdline, crashDumpRanges, crashRegionTooSmall, linuxKexecFlags, type KexecLoadSegment } from "@handoff/core/kexec";
import { EM_X86_64, PC_COM1_PORT, planX86LinuxKexec, x86CaptureE820, type HandoffGdt } from "@handoff/x86";
import { X86_64_LINUX_LAYOUT, linux64StubState, linuxRegions, type X86_64StubPages } from "./linux-boot.js";
import { X86_64_HANDOFF_STUB, buildX86_64Stub } from "./stub/stub.js";

const PAGE = 0x1000n;
/** Where `kexec load --probe` puts its spin payload: the kernel's usual pref_address (16 MiB). */
export const X86_64_KEXEC_PROBE_ENTRY = 0x100_0000n;
/** `jmp .`: the probe payload spins at its entry so QMP can read the CPU there. */
const SPIN = Uint8Array.from([0xeb, 0xfe]);

const segment = kexecLoadSegment;

/**
 * The stub as purgatory: a lone DONE list (the kernel already copied
 * everything), entered at `hd_entry64`, which checks every other segment's
 * SHA-256 (as kexec-tools' purgatory does) before it enters the kernel.
 */
function stubPlan(
  stubState: { gdt: HandoffGdt; tables: { cr3: bigint; bytes: Uint8Array }; state: HandoffState },
  rest: readonly KexecLoadSegment[],
  verify: Pick<LinuxKexecRequest, "noVerify" | "hasher">,
  L: X86_64StubPages = X86_64_LINUX_LAYOUT,
  extraFlags = 0n,
): LinuxKexecPlan {
  const checked = [segment(stubState.tables.bytes, L.tables, "page tables"), ...rest];
  const check = kexecSegmentCheck(checked, { ...verify, console: PC_COM1_PORT });
  const stub = buildX86_64Stub(stubState.state, { head: IND_DONE, maxSteps: 1n }, stubState.gdt, check);
  return {
    entry: L.stub + BigInt(X86_64_HANDOFF_STUB.symbols.hd_entry64!),
    segments: [segment(stub.bytes, L.stub, "stub"), ...checked],
    flags: linuxKexecFlags({ elfMachine: EM_X86_64 }) | extraFlags,
    state: stubState.state,
  };
}

/**
 * A live `kexec_load` of a 64-bit bzImage on the running machine: the same
 * plan as a QEMU boot (kernel at pref_address, boot_params with the e820 of
 * `request.memoryMap`, command line, initrd high) but placed in the running
 * machine's memory map, with the stub as purgatory entered at `hd_entry64`:
 * Linux's relocate_kernel has already copied the segments, so the stub's list
 * is a lone DONE and it only loads its GDT, tables and registers.
 */
export function planX86_64Kexec(request: LinuxKexecRequest): LinuxKexecPlan {
  const { plan, segments } = planX86LinuxKexec(request, X86_64_LINUX_LAYOUT, true);
  const stubState = linux64StubState(linuxRegions(plan), plan.entry64, plan.bootParams, request.memoryMap);
  return stubPlan(stubState, segments, request);
}

/**
 * `kexec load --probe`: the spin payload at {@link X86_64_KEXEC_PROBE_ENTRY}
 * entered in the same linux64 state a kernel gets (rsi = a boot_params page,
 * zeroed: the spin reads nothing), so that after a real exec the CPU can be read at
 * the payload and compared with `state` register by register.
 */
export function planX86_64KexecProbe(memoryMap: MemoryMap, verify: Pick<LinuxKexecRequest, "noVerify" | "hasher"> = {}): LinuxKexecPlan {
  const L = X86_64_LINUX_LAYOUT;
  const at = X86_64_KEXEC_PROBE_ENTRY;
  if (!memoryMap.covers(at, at + PAGE) || !memoryMap.covers(L.stub, L.bootData + PAGE)) {
    throw new ValidationError("kexec --probe", `the running machine has no RAM at ${at.toString(16)} or at the stub's pages`);
  }
  const payload = segment(SPIN, at, "probe payload");
  const zeroPage = segment(new Uint8Array(Number(PAGE)), L.bootData, "boot_params");
  const regions = [payload, zeroPage].map((s) => ({ start: s.mem, size: s.memsz, writable: true, executable: true, name: s.name! }));
  return stubPlan(linux64StubState(regions, at, L.bootData, memoryMap), [payload, zeroPage], verify);
}

/**
 * handoff's pages at the bottom of a crash region (the kernel aligns it to
 * 16 MiB): stub, identity tables (the same rooms as the normal layout),
 * boot_params + cmdline, then the ELF core header.
 */
export function x86_64CrashPages(regionStart: bigint): X86_64StubPages & { readonly elfcorehdr: bigint } {
  const L = X86_64_LINUX_LAYOUT;
  // The same rooms as the normal layout: the stub's (up to where its list would start) and the tables'.
  const tables = regionStart + (L.list - L.stub);
  const bootData = tables + (L.tablesEnd - L.tables);
  return { stub: regionStart, tables, tablesEnd: bootData, bootData, elfcorehdr: bootData + 2n * PAGE };
}

/**
 * A crash (kdump) `kexec_load` of a 64-bit bzImage: every segment inside
 * `request.crashRegion` (handoff's pages at its bottom, the kernel at the next
 * kernel_alignment boundary, the initrd at its top), the ELF core header
 * (PT_NOTE per note area, PT_LOAD per System RAM range outside the crash
 * regions) as a segment, the capture kernel's e820 cut down to the crash
 * regions ({@link x86CaptureE820}) and `elfcorehdr=` on its command line;
 * KEXEC_ON_CRASH in the flags. At a panic Linux's relocate_kernel enters the
 * stub at `hd_entry64` exactly as for a normal kexec.
 */
export function planX86_64CrashKexec(request: LinuxCrashKexecRequest): LinuxKexecPlan {
  const region = request.crashRegion;
  const P = x86_64CrashPages(region.start);
  const header = buildCrashElfHeader({ elfClass: 64, endianness: "little", machine: EM_X86_64, ram: crashDumpRanges(request.systemRam, request.crashRegions), notes: request.notes });
  const headerEnd = P.elfcorehdr + alignUp(BigInt(header.bytes.length), PAGE);
  if (headerEnd > region.end) throw crashRegionTooSmall(region, `handoff's pages and the ELF core header (${headerEnd - region.start} bytes)`);
  const inRegion = MemoryMap.of([{ start: region.start, size: region.end - region.start, type: "ram" }]);
  const e820 = x86CaptureE820(request.memoryMap, request.crashRegions, [{ start: P.elfcorehdr, end: headerEnd }]);
  let planned: ReturnType<typeof planX86LinuxKexec>;
  try {
    const capture = { ...request, memoryMap: inRegion, cmdline: captureCmdline(request.cmdline, P.elfcorehdr) };
    planned = planX86LinuxKexec(capture, P, true, { e820, keepOut: [{ start: P.bootData, end: headerEnd }] });
  } catch (cause) {
    if (cause instanceof ValidationError) throw crashRegionTooSmall(region, `the capture kernel (${cause.message})`, cause);
    throw cause;
  }
  const { plan, segments } = planned;
  // The capture kernel's e820 keeps the RAM below 1 MiB (x86CaptureE820): its decompressor reads the BIOS data area and,
  // on an LA57 CPU, builds its paging-mode trampoline there, so the stub's tables map that low RAM as for a normal kexec.
  const stubState = linux64StubState(linuxRegions(plan), plan.entry64, plan.bootParams, e820, P);
  return stubPlan(stubState, [...segments, segment(header.bytes, P.elfcorehdr, "ELF core header")], request, P, KEXEC_ON_CRASH);
}
