import type { HandoffArtefactBuilder, LinuxBootBuilder } from "@handoff/core";
import { EM_X86_64, makeX86ArtefactBuilder, makeX86LinuxBootBuilder, type X86Width } from "@handoff/x86";
import { kexec64Entry, linux64Entry, pvhEntry64 } from "./handoff-states.js";
import { identityMap1GiB } from "./identity-tables.js";
import { X86_64_LINUX_LAYOUT, linux64StubState, linuxRegions } from "./linux-boot.js";
import { X86_64_HANDOFF_STUB, X86_64_STUB_GDT_OFFSET, buildX86_64Stub } from "./stub/stub.js";

/** What x86_64 brings to the builders it shares with x86_32 (@handoff/x86): 8-byte list words, long mode on identity tables, its stub. */
export const X86_64_WIDTH: X86Width = {
  arch: "x86_64",
  elfMachine: EM_X86_64,
  word: 8,
  linuxProtocol: "linux64",
  artefactProtocols: ["linux64", "kexec", "pvh"],
  probePattern: [13, 7],
  pvhEntry: pvhEntry64,
  payloadEntry: (protocol, p) => {
    const tables = { base: p.tables, ...identityMap1GiB(p.tables) };
    const placement = { ...p, cr3: tables.cr3 };
    return { tables, state: protocol === "linux64" ? linux64Entry(placement) : kexec64Entry({ ...placement, rsp: p.stackTop }) };
  },
  linuxLayout: X86_64_LINUX_LAYOUT,
  linuxEntry: (plan, memoryMap) => linux64StubState(linuxRegions(plan), plan.entry64, plan.bootParams, memoryMap),
  buildStub: buildX86_64Stub,
  stubSymbols: { gdt: X86_64_STUB_GDT_OFFSET, fail: X86_64_HANDOFF_STUB.symbols.hd_fail, verifyFail: X86_64_HANDOFF_STUB.symbols.hd_verify_fail },
};

/** Intel 64 artefacts: a PVH ELF (ELF64) whose entry is the stub, which enters long mode. */
export const x86_64ArtefactBuilder: HandoffArtefactBuilder = makeX86ArtefactBuilder(X86_64_WIDTH);

/**
 * x86_64 Linux through the stub: long mode on 4-level identity tables built
 * with the `segments` policy (boot.rst "64-bit Boot Protocol": the kernel's
 * load address + init_size, the zero page and the command line must be
 * identity-mapped; we add the initrd and the stub's own page), rsi =
 * boot_params, at load + 0x200; or PVH. Every mapping is executable: the
 * stub's EFER leaves NXE clear, where an NX bit would be a reserved bit.
 */
export const x86_64LinuxBootBuilder: LinuxBootBuilder = makeX86LinuxBootBuilder(X86_64_WIDTH);
