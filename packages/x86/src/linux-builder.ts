import { machineWithMemory, type HandoffArtefact, type LinuxBootBuilder, type LinuxBootRequest } from "@handoff/core";
import { X86_LINUX_MACHINE, pcMemoryMap, planX86LinuxForStub } from "./linux-boot.js";
import { x86StubArtefact } from "./artefact.js";
import { buildPvhLinuxArtefact } from "./pvh-linux.js";
import type { X86Width } from "./width.js";

/**
 * Linux through the stub on one x86 width, as a PVH ELF QEMU boots with
 * `-kernel`: the stub (entered by QEMU's PVH path in 32-bit mode) runs the
 * in-place list and enters the width's boot-protocol entry (boot.rst "32-bit
 * Boot Protocol" at code32_start, or "64-bit Boot Protocol" at load + 0x200
 * on identity tables) with esi/rsi = boot_params. `pvh` boots an ELF kernel
 * with a PHYS32 entry (the vmlinux inside the bzImage) instead.
 */
export function makeX86LinuxBootBuilder(width: X86Width): LinuxBootBuilder {
  return {
    arch: width.arch,
    protocols: [width.linuxProtocol, "pvh"],
    needsMachineDtb: () => false,
    machine: (_protocol, _entryMode, memory) => machineWithMemory(X86_LINUX_MACHINE, memory),
    build(request: LinuxBootRequest): HandoffArtefact {
      const m = this.machine(request.protocol, undefined, request.memory);
      if (request.protocol === "pvh") return buildPvhLinuxArtefact(width.arch, request, width.pvhEntry, m);
      const L = width.linuxLayout;
      const memoryMap = pcMemoryMap(m.ramSize);
      const { plan, list } = planX86LinuxForStub(width.arch, this.protocols, request, L, width.word === 8, memoryMap);
      const { gdt, tables, state } = width.linuxEntry(plan, memoryMap);
      return x86StubArtefact(width, {
        protocol: request.protocol,
        stubAddr: L.stub,
        gdt,
        state,
        list,
        segments: plan.segments,
        noVerify: request.noVerify,
        loads: [{ paddr: L.list, bytes: list.bytes }, ...(tables ? [{ paddr: tables.base, bytes: tables.bytes }] : []), ...plan.segments.map((s) => ({ paddr: s.mem, bytes: (s.data as { bytes: Uint8Array }).bytes }))],
        entry: width.word === 8 ? plan.entry64 : plan.entry32,
        tables,
        qemu: { machine: m.machine, memory: m.memory },
      });
    },
  };
}
