import { ValidationError, machineWithMemory, type HandoffArtefact, type HandoffState, type LinuxBootBuilder, type LinuxBootRequest, type MemoryMap } from "@handoff/core";
import { planPageTables, type HandoffRegion } from "@handoff/core/paging";
import { segmentCheck } from "@handoff/core/kexec";
import { BOOT_SELECTORS, PC_COM1_PORT, X86_LINUX_MACHINE, buildHandoffGdt, buildPvhLinuxArtefact, pcMemoryMap, planX86LinuxForStub, pvhElfArtefact, type HandoffGdt, type X86LinuxPlan } from "@handoff/x86";
import { linux64Entry, pvhEntry64 } from "./handoff-states.js";
import { X86_64_4LEVEL } from "./paging.js";
import { X86_64_HANDOFF_STUB, X86_64_STUB_GDT_OFFSET, buildX86_64Stub } from "./stub/stub.js";


/** Fixed places of the stub's own pages, below the kernel's usual 16 MiB pref_address. */
export const X86_64_LINUX_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, listEnd: 0x1d_0000n, tables: 0x1d_0000n, tablesEnd: 0x1f_0000n, bootData: 0x1f_0000n } as const;

/** The stub's own pages a kexec plan needs: the stub, its identity tables' room, boot_params + cmdline. */
export interface X86_64StubPages {
  readonly stub: bigint;
  readonly tables: bigint;
  readonly tablesEnd: bigint;
  readonly bootData: bigint;
}

/** The regions a planned Linux occupies for the identity tables: every segment, the kernel with its init_size room. */
export function linuxRegions(plan: X86LinuxPlan): HandoffRegion[] {
  return plan.segments.map((s) => ({ start: s.mem, size: s.role === "kernel" ? plan.kernelRoom : s.memsz, writable: true, executable: true, name: s.name ?? s.role }));
}

/**
 * What the stub needs to enter a 64-bit entry with rsi = boot_params: the boot
 * GDT, 4-level identity tables over the stub and `regions` at the layout's
 * table room, and the linux64 entry state.
 */
export function linux64StubState(
  regions: readonly HandoffRegion[],
  entry: bigint,
  bootParams: bigint,
  memoryMap: MemoryMap,
  L: Omit<X86_64StubPages, "bootData"> = X86_64_LINUX_LAYOUT,
): { gdt: HandoffGdt; tables: { cr3: bigint; bytes: Uint8Array }; state: HandoffState } {
  const gdt = buildHandoffGdt(BOOT_SELECTORS, true);
  const all: HandoffRegion[] = [{ start: L.stub, size: 0x1000n, writable: true, executable: true, name: "stub" }, ...regions];
  const { build } = planPageTables(X86_64_4LEVEL, { kind: "segments", regions: all, memoryMap }, { tableBase: L.tables, mapTables: false });
  if (L.tables + build.tableBytes > L.tablesEnd) throw new ValidationError("x86_64 Linux boot", `page tables of ${build.tableBytes} bytes overrun their room`);
  const tables = { cr3: build.root, bytes: build.segment.bytes };
  const state = linux64Entry({ gdt, gdtBase: L.stub + BigInt(X86_64_STUB_GDT_OFFSET), cr3: tables.cr3, entry, bootParams });
  return { gdt, tables, state };
}

/**
 * x86_64 Linux through the stub, as a PVH ELF QEMU boots with `-kernel`: the
 * stub (entered by QEMU's PVH path in 32-bit mode) runs the in-place list,
 * enters long mode on 4-level identity tables built with the `segments`
 * policy (boot.rst "64-bit Boot Protocol": the kernel's load address +
 * init_size, the zero page and the command line must be identity-mapped; we
 * add the initrd and the stub's own page) and jumps to the 64-bit entry
 * (load + 0x200) with rsi = boot_params. Every mapping is executable: the
 * stub's EFER leaves NXE clear, where an NX bit would be a reserved bit.
 */
export const x86_64LinuxBootBuilder: LinuxBootBuilder = {
  arch: "x86_64",
  protocols: ["linux64", "pvh"],
  needsMachineDtb: () => false,
  machine: (_protocol, _entryMode, memory) => machineWithMemory(X86_LINUX_MACHINE, memory),
  build(request: LinuxBootRequest): HandoffArtefact {
    // PVH: an ELF kernel with a PHYS32 entry (the vmlinux inside the bzImage), entered in 32-bit mode.
    const m = this.machine(request.protocol, undefined, request.memory);
    if (request.protocol === "pvh") return buildPvhLinuxArtefact("x86_64", request, pvhEntry64, m);
    const L = X86_64_LINUX_LAYOUT;
    const { plan, list } = planX86LinuxForStub("x86_64", this.protocols, request, L, true, pcMemoryMap(m.ramSize));
    const { gdt, tables, state } = linux64StubState(linuxRegions(plan), plan.entry64, plan.bootParams, pcMemoryMap(m.ramSize));
    const check = segmentCheck(plan.segments, { noVerify: request.noVerify, console: PC_COM1_PORT });
    const stub = buildX86_64Stub(state, list, gdt, check);
    return pvhElfArtefact({
      arch: "x86_64",
      protocol: request.protocol,
      stub: { addr: L.stub, bytes: stub.bytes, failOffset: X86_64_HANDOFF_STUB.symbols.hd_fail, verifyFailOffset: X86_64_HANDOFF_STUB.symbols.hd_verify_fail },
      verifiedRegions: check.regions.length,
      loads: [{ paddr: L.list, bytes: list.bytes }, { paddr: L.tables, bytes: tables.bytes }, ...plan.segments.map((s) => ({ paddr: s.mem, bytes: (s.data as { bytes: Uint8Array }).bytes }))],
      entry: plan.entry64,
      segments: plan.segments,
      list,
      pageTableRoot: tables.cr3,
      state,
      qemu: { machine: m.machine, memory: m.memory },
    });
  },
};
