import type { LinuxKexecPlan, LinuxKexecRequest } from "@handoff/core";
import { IND_DONE, KEXEC_ARCH_DEFAULT, kexecLoadSegment, kexecSegmentCheck } from "@handoff/core/kexec";
import { BOOT_SELECTORS, PC_COM1_PORT, buildHandoffGdt, planX86LinuxKexec } from "@handoff/x86";
import { linux32Entry } from "./handoff-states.js";
import { X86_32_LINUX_LAYOUT } from "./linux-boot.js";
import { X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, buildX86_32Stub } from "./stub/stub.js";

/**
 * A live `kexec_load` of a 32-bit bzImage: the x86 Linux plan in the running
 * machine's memory map and the IA-32 stub as purgatory, its list a lone DONE
 * (the running kernel copies the segments). From a 64-bit running kernel
 * (`request.runningArch` x86_64: relocate_kernel_64 enters in long mode) the
 * stub is entered at `hd_entry64`, which drops to 32-bit protected mode with
 * paging off; from a 32-bit one (relocate_kernel_32 enters with paging off) at
 * its start; either way it checks every other segment's SHA-256 before it
 * enters. Flags carry KEXEC_ARCH_DEFAULT: the running kernel's own arch.
 */
export function planX86_32Kexec(request: LinuxKexecRequest): LinuxKexecPlan {
  const L = X86_32_LINUX_LAYOUT;
  const { plan, segments } = planX86LinuxKexec(request, L, false);
  const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
  const state = linux32Entry({ gdt, gdtBase: L.stub + BigInt(X86_32_STUB_GDT_OFFSET), entry: plan.entry32, bootParams: plan.bootParams });
  // Both entries reach the stub's segment check (hd_entry64 drops to 32-bit mode and continues at its start).
  const check = kexecSegmentCheck(segments, { ...(request.noVerify ? { noVerify: true } : {}), ...(request.hasher ? { hasher: request.hasher } : {}), console: PC_COM1_PORT });
  const stub = buildX86_32Stub(state, { head: IND_DONE, maxSteps: 1n }, gdt, { check });
  const fromLongMode = (request.runningArch ?? "x86_32") === "x86_64";
  return {
    entry: L.stub + (fromLongMode ? BigInt(X86_32_HANDOFF_STUB.symbols.hd_entry64!) : 0n),
    segments: [kexecLoadSegment(stub.bytes, L.stub, "stub"), ...segments],
    flags: KEXEC_ARCH_DEFAULT,
    state,
  };
}
