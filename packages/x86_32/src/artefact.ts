import { checkArtefactRequest, spinProbePayload, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutAlternatingPayload, segmentCheck } from "@handoff/core/kexec";
import { BOOT_SELECTORS, PC_COM1_PORT, VMM_SELECTORS, buildHandoffGdt, pvhElfArtefact, pvhPayloadArtefact, writePvhElf } from "@handoff/x86";
import { kexec32Entry, linux32Entry, pvhEntry } from "./handoff-states.js";
import { buildX86_32Stub, X86_32_STUB_GDT_OFFSET, X86_32_HANDOFF_STUB } from "./stub/stub.js";

/**
 * Addresses for QEMU `-M pc` with at least 128 MiB: stub at 1 MiB, list after
 * it, boot data (hvm_start_info / boot_params page) below 2 MiB, payload at
 * 4 MiB, staging at 8 MiB.
 */
export const X86_32_PC_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, bootData: 0x1f_0000n, entry: 0x40_0000n, staging: 0x80_0000n, maxPayload: 4n << 20n } as const;

const SPIN = Uint8Array.from([0xeb, 0xfe]); // jmp .
const probePayload = () => spinProbePayload(SPIN, 11, 5);

/** IA-32 artefacts: a PVH ELF (ELF32) whose entry is the stub; QEMU's `-kernel` boots it. */
export const x86_32ArtefactBuilder: HandoffArtefactBuilder = {
  arch: "x86_32",
  protocols: ["pvh", "linux32", "kexec"],
  entryModes: [],
  probePayload,
  build(request: ArtefactRequest): HandoffArtefact {
    checkArtefactRequest(this, "x86_32 build", request, { vmmSelectors: true });
    const L = X86_32_PC_LAYOUT;
    if (request.protocol === "pvh") return pvhPayloadArtefact("x86_32", request, pvhEntry, L);
    const layout = layoutAlternatingPayload({ what: "x86_32 build", word: 4, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, maxPayload: L.maxPayload });
    const gdt = buildHandoffGdt(request.vmmSelectors ? VMM_SELECTORS : BOOT_SELECTORS, false);
    const placement = { gdt, gdtBase: L.stub + BigInt(X86_32_STUB_GDT_OFFSET), entry: L.entry };
    const state = request.protocol === "linux32" ? linux32Entry({ ...placement, bootParams: L.bootData }) : kexec32Entry(placement);
    const check = segmentCheck([layout.segment], { noVerify: request.noVerify, console: PC_COM1_PORT });
    const stub = buildX86_32Stub(state, layout, gdt, { check });
    const bootData = new Uint8Array(4096);
    return pvhElfArtefact({
      arch: "x86_32",
      protocol: request.protocol,
      stub: { addr: L.stub, bytes: stub.bytes, failOffset: X86_32_HANDOFF_STUB.symbols.hd_fail, verifyFailOffset: X86_32_HANDOFF_STUB.symbols.hd_verify_fail },
      verifiedRegions: check.regions.length,
      loads: [{ paddr: L.bootData, bytes: bootData }, ...layout.placed.map((p) => ({ paddr: p.addr, bytes: p.bytes }))],
      entry: L.entry,
      segments: [layout.segment],
      list: layout,
      state,
      qemu: { machine: "pc", memory: "128M" },
    });
  },
  nativeProbe(): NativeProbe {
    const L = X86_32_PC_LAYOUT;
    const elf = writePvhElf({ elfClass: 32, entry32: L.entry, loads: [{ paddr: L.entry, bytes: probePayload() }] });
    // Compared with the PVH state; QEMU's own GDT and start-info address differ by design, only forced-zero registers count as leftovers.
    return { kernel: elf, entry: L.entry, state: pvhEntry({ gdt: buildHandoffGdt(VMM_SELECTORS, false), gdtBase: 0n, startInfo: 0n, entry: L.entry }) };
  },
};
