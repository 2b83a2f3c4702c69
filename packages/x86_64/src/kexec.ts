import { alignUp, type LinuxKexecPlan, type LinuxKexecRequest } from "@handoff/core";
import { IND_DONE, linuxKexecFlags, type KexecLoadSegment } from "@handoff/core/kexec";
import { planX86Linux } from "@handoff/x86";
import { X86_64_LINUX_LAYOUT, linux64StubState } from "./linux-boot.js";
import { X86_64_HANDOFF_STUB, buildX86_64Stub } from "./stub/stub.js";

/** EM_X86_64 (ELF gABI): the arch field of kexec_load's flags. */
const EM_X86_64 = 62;

/**
 * A live `kexec_load` of a 64-bit bzImage on the running machine: the same
 * plan as a QEMU boot (kernel at pref_address, boot_params with the e820 of
 * `request.memoryMap`, command line, initrd high) but placed in the running
 * machine's memory map, with the stub as purgatory entered at `hd_entry64`:
 * Linux's relocate_kernel has already copied the segments, so the stub's list
 * is a lone DONE and it only loads its GDT, tables and registers.
 */
export function planX86_64Kexec(request: LinuxKexecRequest): LinuxKexecPlan {
  const L = X86_64_LINUX_LAYOUT;
  const plan = planX86Linux({
    kernel: request.kernel,
    kernelPath: request.kernelPath,
    initrd: request.initrd,
    cmdline: request.cmdline,
    memoryMap: request.memoryMap,
    bootData: L.bootData,
    keepOut: [{ start: L.stub, end: L.bootData }],
    entry64: true,
  });
  const { gdt, tables, state } = linux64StubState(plan, request.memoryMap);
  const stub = buildX86_64Stub(state, { head: IND_DONE, maxSteps: 1n }, gdt);
  const segment = (bytes: Uint8Array, mem: bigint, name: string): KexecLoadSegment => ({ bytes, mem, memsz: alignUp(BigInt(bytes.length), 0x1000n), name });
  return {
    entry: L.stub + BigInt(X86_64_HANDOFF_STUB.symbols.hd_entry64!),
    segments: [
      segment(stub.bytes, L.stub, "stub"),
      segment(tables.bytes, L.tables, "page tables"),
      ...plan.segments.map((s) => segment((s.data as { bytes: Uint8Array }).bytes, s.mem, s.name ?? s.role)),
    ],
    flags: linuxKexecFlags({ elfMachine: EM_X86_64 }),
    state,
  };
}
