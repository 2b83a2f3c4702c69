import { type ArtefactRequest, type HandoffArtefact } from "@handoff/core";
import { layoutAlternatingPayload, segmentCheck } from "@handoff/core/kexec";
import { buildHandoffGdt, handoffSelectors } from "./descriptors.js";
import { PC_COM1_PORT } from "./uart.js";
import { buildIa32Stub, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET } from "./ia32-stub/stub.js";
import { pvhElfArtefact } from "./pvh-artefact.js";
import type { PvhStateMaker } from "./pvh-linux.js";
import { minimalStartInfo } from "./pvh-state.js";

/** Where a flat-payload PVH artefact puts things on QEMU `-M pc` (at least 128 MiB). */
export interface PvhPayloadLayout {
  readonly stub: bigint;
  readonly list: bigint;
  readonly bootData: bigint;
  readonly entry: bigint;
  readonly staging: bigint;
  readonly maxPayload: bigint;
}

/**
 * A flat payload (or the probe) entered through the PVH ABI on either width:
 * the IA-32 stub runs a 4-byte-word list that places the payload (odd pages
 * in place, even ones staged) and enters it in 32-bit protected mode with ebx
 * = a minimal hvm_start_info, every other register as `makeState` promises.
 */
export function pvhPayloadArtefact(arch: "x86_32" | "x86_64", request: ArtefactRequest, makeState: PvhStateMaker, L: PvhPayloadLayout): HandoffArtefact {
  const layout = layoutAlternatingPayload({ what: `${arch} build`, word: 4, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, maxPayload: L.maxPayload });
  const gdt = buildHandoffGdt(handoffSelectors(request), false);
  const state = makeState({ gdt, gdtBase: L.stub + BigInt(X86_32_STUB_GDT_OFFSET), startInfo: L.bootData, entry: L.entry });
  const check = segmentCheck([layout.segment], { ...(request.noVerify ? { noVerify: true } : {}), console: PC_COM1_PORT });
  const stub = buildIa32Stub(state, layout, gdt, { check });
  return pvhElfArtefact({
    arch,
    protocol: "pvh",
    stub: { addr: L.stub, bytes: stub.bytes, failOffset: X86_32_HANDOFF_STUB.symbols.hd_fail, verifyFailOffset: X86_32_HANDOFF_STUB.symbols.hd_verify_fail },
    verifiedRegions: check.regions.length,
    loads: [{ paddr: L.bootData, bytes: minimalStartInfo() }, ...layout.placed.map((p) => ({ paddr: p.addr, bytes: p.bytes }))],
    entry: L.entry,
    segments: [layout.segment],
    list: layout,
    state,
    qemu: { machine: "pc", memory: "128M" },
  });
}
