import { checkArtefactRequest, spinProbePayload, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutAlternatingPayload, segmentCheck } from "@handoff/core/kexec";
import { BOOT_SELECTORS, PC_COM1_PORT, VMM_SELECTORS, buildHandoffGdt, pvhElfArtefact, pvhPayloadArtefact, writePvhElf } from "@handoff/x86";
import { kexec64Entry, linux64Entry, pvhEntry64 } from "./handoff-states.js";
import { identityMap1GiB } from "./identity-tables.js";
import { buildX86_64Stub, X86_64_STUB_GDT_OFFSET, X86_64_HANDOFF_STUB } from "./stub/stub.js";

/**
 * Addresses for QEMU `-M pc` with at least 128 MiB: stub at 1 MiB, list and
 * identity tables after it, boot_params below 2 MiB, kexec stack top at
 * 2 MiB - 4 KiB, payload at 4 MiB, staging at 8 MiB.
 */
export const X86_64_PC_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, tables: 0x12_0000n, bootData: 0x1f_0000n, stackTop: 0x1f_f000n, entry: 0x40_0000n, staging: 0x80_0000n, maxPayload: 4n << 20n } as const;

const SPIN = Uint8Array.from([0xeb, 0xfe]); // jmp .
const probePayload = () => spinProbePayload(SPIN, 13, 7);

/** Intel 64 artefacts: a PVH ELF (ELF64) whose entry is the stub, which enters long mode. */
export const x86_64ArtefactBuilder: HandoffArtefactBuilder = {
  arch: "x86_64",
  protocols: ["linux64", "kexec", "pvh"],
  entryModes: [],
  probePayload,
  build(request: ArtefactRequest): HandoffArtefact {
    checkArtefactRequest(this, "x86_64 build", request, { vmmSelectors: true });
    const L = X86_64_PC_LAYOUT;
    // PVH: 32-bit protected mode on both widths, through the IA-32 stub.
    if (request.protocol === "pvh") return pvhPayloadArtefact("x86_64", request, pvhEntry64, L);
    const layout = layoutAlternatingPayload({ what: "x86_64 build", word: 8, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, maxPayload: L.maxPayload });
    const gdt = buildHandoffGdt(request.vmmSelectors ? VMM_SELECTORS : BOOT_SELECTORS, true);
    const tables = identityMap1GiB(L.tables);
    const placement = { gdt, gdtBase: L.stub + BigInt(X86_64_STUB_GDT_OFFSET), cr3: tables.cr3, entry: L.entry };
    const state = request.protocol === "linux64" ? linux64Entry({ ...placement, bootParams: L.bootData }) : kexec64Entry({ ...placement, rsp: L.stackTop });
    const check = segmentCheck([layout.segment], { noVerify: request.noVerify, console: PC_COM1_PORT });
    const stub = buildX86_64Stub(state, layout, gdt, check);
    return pvhElfArtefact({
      arch: "x86_64",
      protocol: request.protocol,
      stub: { addr: L.stub, bytes: stub.bytes, failOffset: X86_64_HANDOFF_STUB.symbols.hd_fail, verifyFailOffset: X86_64_HANDOFF_STUB.symbols.hd_verify_fail },
      verifiedRegions: check.regions.length,
      loads: [{ paddr: L.tables, bytes: tables.bytes }, { paddr: L.bootData, bytes: new Uint8Array(4096) }, ...layout.placed.map((p) => ({ paddr: p.addr, bytes: p.bytes }))],
      entry: L.entry,
      segments: [layout.segment],
      list: layout,
      pageTableRoot: tables.cr3,
      state,
      qemu: { machine: "pc", memory: "128M" },
    });
  },
  nativeProbe(): NativeProbe {
    const L = X86_64_PC_LAYOUT;
    const elf = writePvhElf({ elfClass: 64, entry32: L.entry, loads: [{ paddr: L.entry, bytes: probePayload() }] });
    return { kernel: elf, entry: L.entry, state: pvhEntry64({ gdt: buildHandoffGdt(VMM_SELECTORS, false), gdtBase: 0n, startInfo: 0n, entry: L.entry }) };
  },
};
