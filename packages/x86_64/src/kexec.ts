import { ValidationError, type HandoffState, type MemoryMap, type LinuxKexecPlan, type LinuxKexecRequest } from "@handoff/core";
import { IND_DONE, linuxKexecFlags, type KexecLoadSegment } from "@handoff/core/kexec";
import { planX86LinuxKexec, x86KexecSegment, type HandoffGdt } from "@handoff/x86";
import { X86_64_LINUX_LAYOUT, linux64StubState, linuxRegions } from "./linux-boot.js";
import { X86_64_HANDOFF_STUB, buildX86_64Stub } from "./stub/stub.js";

/** EM_X86_64 (ELF gABI): the arch field of kexec_load's flags. */
const EM_X86_64 = 62;
const PAGE = 0x1000n;
/** Where `kexec load --probe` puts its spin payload: the kernel's usual pref_address (16 MiB). */
export const X86_64_KEXEC_PROBE_ENTRY = 0x100_0000n;
/** `jmp .`: the probe payload spins at its entry so QMP can read the CPU there. */
const SPIN = Uint8Array.from([0xeb, 0xfe]);

const segment = x86KexecSegment;

/** The stub as purgatory: a lone DONE list (the kernel already copied everything), entered at `hd_entry64`. */
function stubPlan(stubState: { gdt: HandoffGdt; tables: { cr3: bigint; bytes: Uint8Array }; state: HandoffState }, rest: readonly KexecLoadSegment[]): LinuxKexecPlan {
  const L = X86_64_LINUX_LAYOUT;
  const stub = buildX86_64Stub(stubState.state, { head: IND_DONE, maxSteps: 1n }, stubState.gdt);
  return {
    entry: L.stub + BigInt(X86_64_HANDOFF_STUB.symbols.hd_entry64!),
    segments: [segment(stub.bytes, L.stub, "stub"), segment(stubState.tables.bytes, L.tables, "page tables"), ...rest],
    flags: linuxKexecFlags({ elfMachine: EM_X86_64 }),
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
  return stubPlan(stubState, segments);
}

/**
 * `kexec load --probe`: the spin payload at {@link X86_64_KEXEC_PROBE_ENTRY}
 * entered in the same linux64 state a kernel gets (rsi = a boot_params page,
 * zeroed: the spin reads nothing), so that after a real exec the CPU can be read at
 * the payload and compared with `state` register by register.
 */
export function planX86_64KexecProbe(memoryMap: MemoryMap): LinuxKexecPlan {
  const L = X86_64_LINUX_LAYOUT;
  const at = X86_64_KEXEC_PROBE_ENTRY;
  if (!memoryMap.covers(at, at + PAGE) || !memoryMap.covers(L.stub, L.bootData + PAGE)) {
    throw new ValidationError("kexec --probe", `the running machine has no RAM at ${at.toString(16)} or at the stub's pages`);
  }
  const payload = segment(SPIN, at, "probe payload");
  const zeroPage = segment(new Uint8Array(Number(PAGE)), L.bootData, "boot_params");
  const regions = [payload, zeroPage].map((s) => ({ start: s.mem, size: s.memsz, writable: true, executable: true, name: s.name! }));
  return stubPlan(linux64StubState(regions, at, L.bootData, memoryMap), [payload, zeroPage]);
}
