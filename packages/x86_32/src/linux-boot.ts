import { machineWithMemory, type HandoffArtefact, type LinuxBootBuilder, type LinuxBootRequest } from "@handoff/core";
import { segmentCheck } from "@handoff/core/kexec";
import { BOOT_SELECTORS, PC_COM1_PORT, X86_LINUX_MACHINE, buildHandoffGdt, buildPvhLinuxArtefact, pcMemoryMap, planX86LinuxForStub, pvhElfArtefact } from "@handoff/x86";
import { linux32Entry, pvhEntry } from "./handoff-states.js";
import { X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, buildX86_32Stub } from "./stub/stub.js";

/** Fixed places of the stub's own pages, below the kernel's usual 16 MiB pref_address. */
export const X86_32_LINUX_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, listEnd: 0x1e_0000n, bootData: 0x1f_0000n } as const;

/**
 * x86_32 Linux through the stub, as a PVH ELF QEMU boots with `-kernel`: the
 * stub runs the in-place list and enters the 32-bit boot protocol (boot.rst
 * "32-bit Boot Protocol"): protected mode, paging off, flat __BOOT_CS 0x10 /
 * __BOOT_DS 0x18, esi = boot_params, ebp = edi = ebx = 0, at code32_start (the
 * load address).
 */
export const x86_32LinuxBootBuilder: LinuxBootBuilder = {
  arch: "x86_32",
  protocols: ["linux32", "pvh"],
  needsMachineDtb: () => false,
  machine: (_protocol, _entryMode, memory) => machineWithMemory(X86_LINUX_MACHINE, memory),
  build(request: LinuxBootRequest): HandoffArtefact {
    // PVH: an ELF kernel with a PHYS32 entry (the vmlinux inside a 686-pae bzImage).
    const m = this.machine(request.protocol, undefined, request.memory);
    if (request.protocol === "pvh") return buildPvhLinuxArtefact("x86_32", request, pvhEntry, m);
    const L = X86_32_LINUX_LAYOUT;
    const { plan, list } = planX86LinuxForStub("x86_32", this.protocols, request, L, false, pcMemoryMap(m.ramSize));
    const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
    const state = linux32Entry({ gdt, gdtBase: L.stub + BigInt(X86_32_STUB_GDT_OFFSET), entry: plan.entry32, bootParams: plan.bootParams });
    const check = segmentCheck(plan.segments, { noVerify: request.noVerify, console: PC_COM1_PORT });
    const stub = buildX86_32Stub(state, list, gdt, { check });
    return pvhElfArtefact({
      arch: "x86_32",
      protocol: request.protocol,
      stub: { addr: L.stub, bytes: stub.bytes, failOffset: X86_32_HANDOFF_STUB.symbols.hd_fail, verifyFailOffset: X86_32_HANDOFF_STUB.symbols.hd_verify_fail },
      verifiedRegions: check.regions.length,
      loads: [{ paddr: L.list, bytes: list.bytes }, ...plan.segments.map((s) => ({ paddr: s.mem, bytes: (s.data as { bytes: Uint8Array }).bytes }))],
      entry: plan.entry32,
      segments: plan.segments,
      list,
      state,
      qemu: { machine: m.machine, memory: m.memory },
    });
  },
};
