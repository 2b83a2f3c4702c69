import { checkArtefactRequest, spinProbePayload, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutAlternatingPayload, segmentCheck } from "@handoff/core/kexec";
import { VMM_SELECTORS, X86_ARTEFACT_SWITCHES, buildHandoffGdt, handoffSelectors, type HandoffGdt } from "./descriptors.js";
import { pvhElfArtefact } from "./pvh-artefact.js";
import { writePvhElf, type PvhLoad } from "./pvh-elf.js";
import { pvhPayloadArtefact } from "./pvh-payload.js";
import { PC_COM1_PORT } from "./uart.js";
import type { X86StubTables, X86Width } from "./width.js";

/**
 * Addresses of a flat-payload artefact on QEMU `-M pc` with at least 128 MiB:
 * stub at 1 MiB, list after it, identity tables (long mode) after that, boot
 * data (hvm_start_info / boot_params page) below 2 MiB, kexec stack top at
 * 2 MiB - 4 KiB, payload at 4 MiB, staging at 8 MiB.
 */
export const X86_PC_PAYLOAD_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, tables: 0x12_0000n, bootData: 0x1f_0000n, stackTop: 0x1f_f000n, entry: 0x40_0000n, staging: 0x80_0000n, maxPayload: 4n << 20n } as const;

/** What one stub artefact holds beyond what its width says: the stub's place and state, the list and segments it checks, the other blobs. */
export interface X86StubArtefactParts extends Pick<HandoffArtefact, "protocol" | "entry" | "segments" | "state" | "qemu"> {
  readonly stubAddr: bigint;
  readonly gdt: HandoffGdt;
  readonly list: HandoffArtefact["list"];
  /** `--no-verify`: the stub enters without hashing the segments. */
  readonly noVerify: boolean | undefined;
  /** Everything to load besides the stub: list, tables, boot data, staged pages, segments. */
  readonly loads: readonly PvhLoad[];
  readonly tables: X86StubTables | undefined;
}

/**
 * The width's stub, filled from `p.state` and checking `p.segments` (unless
 * `noVerify`) before it enters, in a PVH ELF with the other blobs: what every
 * x86 stub builder returns.
 */
export function x86StubArtefact(width: X86Width, p: X86StubArtefactParts): HandoffArtefact {
  const check = segmentCheck(p.segments, { noVerify: p.noVerify, console: PC_COM1_PORT });
  const stub = width.buildStub(p.state, p.list, p.gdt, check);
  return pvhElfArtefact({
    arch: width.arch,
    protocol: p.protocol,
    stub: { addr: p.stubAddr, bytes: stub.bytes, failOffset: width.stubSymbols.fail, verifyFailOffset: width.stubSymbols.verifyFail },
    verifiedRegions: check.regions.length,
    loads: p.loads,
    entry: p.entry,
    segments: p.segments,
    list: p.list,
    ...(p.tables ? { pageTableRoot: p.tables.cr3 } : {}),
    state: p.state,
    qemu: p.qemu,
  });
}

/** `jmp .` */
const SPIN = Uint8Array.from([0xeb, 0xfe]);

/**
 * The flat-payload artefact builder of one x86 width: a PVH ELF (ELF32 or
 * ELF64) QEMU's `-kernel` boots, whose PVH entry is the stub; the stub places
 * the payload through its list and enters it by `pvh`, the width's Linux entry
 * or `kexec`.
 */
export function makeX86ArtefactBuilder(width: X86Width): HandoffArtefactBuilder {
  const what = `${width.arch} build`;
  const probePayload = () => spinProbePayload(SPIN, ...width.probePattern);
  const L = X86_PC_PAYLOAD_LAYOUT;
  return {
    arch: width.arch,
    protocols: width.artefactProtocols,
    entryModes: [],
    switches: X86_ARTEFACT_SWITCHES,
    probePayload,
    build(request: ArtefactRequest): HandoffArtefact {
      checkArtefactRequest(this, what, request);
      // PVH: 32-bit protected mode on both widths, through the IA-32 stub.
      if (request.protocol === "pvh") return pvhPayloadArtefact(width.arch, request, width.pvhEntry, L);
      const layout = layoutAlternatingPayload({ what, word: width.word, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, maxPayload: L.maxPayload });
      const gdt = buildHandoffGdt(handoffSelectors(request), width.word === 8);
      const placement = { gdt, gdtBase: L.stub + BigInt(width.stubSymbols.gdt), entry: L.entry, bootParams: L.bootData, stackTop: L.stackTop, tables: L.tables };
      const { state, tables } = width.payloadEntry(request.protocol, placement);
      return x86StubArtefact(width, {
        protocol: request.protocol,
        stubAddr: L.stub,
        gdt,
        state,
        list: layout,
        segments: [layout.segment],
        noVerify: request.noVerify,
        loads: [...(tables ? [{ paddr: tables.base, bytes: tables.bytes }] : []), { paddr: L.bootData, bytes: new Uint8Array(4096) }, ...layout.placed.map((p) => ({ paddr: p.addr, bytes: p.bytes }))],
        entry: L.entry,
        tables,
        qemu: { machine: "pc", memory: "128M" },
      });
    },
    nativeProbe(): NativeProbe {
      const elf = writePvhElf({ elfClass: width.word === 8 ? 64 : 32, entry32: L.entry, loads: [{ paddr: L.entry, bytes: probePayload() }] });
      // Compared with the PVH state; QEMU's own GDT and start-info address differ by design, only forced-zero registers count as leftovers.
      return { kernel: elf, entry: L.entry, state: width.pvhEntry({ gdt: buildHandoffGdt(VMM_SELECTORS, false), gdtBase: 0n, startInfo: 0n, entry: L.entry }) };
    },
  };
}
