import { BOOT_SELECTORS, EM_386, buildHandoffGdt, makeX86ArtefactBuilder, makeX86LinuxBootBuilder, type X86Width } from "@handoff/x86";
import type { HandoffArtefactBuilder, LinuxBootBuilder } from "@handoff/core";
import { kexec32Entry, linux32Entry, pvhEntry } from "./handoff-states.js";
import { X86_32_LINUX_LAYOUT } from "./linux-boot.js";
import { X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, buildX86_32Stub } from "./stub/stub.js";

/** What x86_32 brings to the builders it shares with x86_64 (@handoff/x86): 4-byte list words, paging off, the IA-32 stub. */
export const X86_32_WIDTH: X86Width = {
  arch: "x86_32",
  elfMachine: EM_386,
  word: 4,
  linuxProtocol: "linux32",
  artefactProtocols: ["pvh", "linux32", "kexec"],
  probePattern: [11, 5],
  pvhEntry,
  payloadEntry: (protocol, p) => ({ state: protocol === "linux32" ? linux32Entry(p) : kexec32Entry(p) }),
  linuxLayout: X86_32_LINUX_LAYOUT,
  linuxEntry: (plan) => {
    const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
    const state = linux32Entry({ gdt, gdtBase: X86_32_LINUX_LAYOUT.stub + BigInt(X86_32_STUB_GDT_OFFSET), entry: plan.entry32, bootParams: plan.bootParams });
    return { gdt, state };
  },
  buildStub: (state, list, gdt, check) => buildX86_32Stub(state, list, gdt, { check }),
  stubSymbols: { gdt: X86_32_STUB_GDT_OFFSET, fail: X86_32_HANDOFF_STUB.symbols.hd_fail, verifyFail: X86_32_HANDOFF_STUB.symbols.hd_verify_fail },
};

/** IA-32 artefacts: a PVH ELF (ELF32) whose entry is the stub; QEMU's `-kernel` boots it. */
export const x86_32ArtefactBuilder: HandoffArtefactBuilder = makeX86ArtefactBuilder(X86_32_WIDTH);

/** x86_32 Linux through the stub (32-bit boot protocol: paging off, esi = boot_params, at code32_start), or PVH. */
export const x86_32LinuxBootBuilder: LinuxBootBuilder = makeX86LinuxBootBuilder(X86_32_WIDTH);
