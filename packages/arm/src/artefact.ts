import { checkArtefactRequest, spinProbePayload, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutAlternatingPayload, segmentCheck } from "@handoff/core/kexec";
import { ARM_VIRT_LOADER_LAYOUT, ARM_VIRT_PL011 } from "./virt.js";
import { armVirtMachine, type ArmWidth } from "./width.js";

/** What one loader artefact holds beyond what its width says: the stub's place and state, the list and segments it checks, the other blobs. */
export interface ArmLoaderArtefactParts extends Pick<HandoffArtefact, "protocol" | "entry" | "segments" | "state" | "qemu"> {
  readonly stubAddr: bigint;
  readonly list: HandoffArtefact["list"];
  /** `--no-verify`: the stub enters without hashing the segments. */
  readonly noVerify: boolean | undefined;
  /** The blobs besides the stub, each a file QEMU's generic loader places at `addr`. */
  readonly blobs: readonly { readonly name: string; readonly bytes: Uint8Array; readonly addr: bigint; readonly role: string }[];
}

/**
 * The width's stub, filled from `p.state` and checking `p.segments` (unless
 * `noVerify`) before it enters, with the other blobs for QEMU's generic
 * loader (`-device loader`, PC = the stub): what every Arm builder returns.
 */
export function armLoaderArtefact(width: ArmWidth, p: ArmLoaderArtefactParts): HandoffArtefact {
  const check = segmentCheck(p.segments, { noVerify: p.noVerify, console: ARM_VIRT_PL011 });
  const stub = width.buildStub(p.state, p.list, check);
  const files = [{ name: "stub.bin", bytes: stub.bytes, addr: p.stubAddr, role: "stub" }, ...p.blobs];
  return {
    arch: width.arch,
    protocol: p.protocol,
    files,
    launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: p.stubAddr },
    stubEntry: p.stubAddr,
    stubFail: p.stubAddr + width.stubFailOffset,
    verify: { regions: check.regions.length, failPc: p.stubAddr + width.stubVerifyFailOffset },
    entry: p.entry,
    segments: p.segments,
    list: { head: p.list.head, maxSteps: p.list.maxSteps, entries: p.list.entries },
    state: p.state,
    qemu: p.qemu,
  };
}

/**
 * The flat-payload artefact builder of one Arm width, for QEMU's generic
 * loader on `-M virt`: stub, list and staging blobs are placed by
 * `-device loader`, and the PC starts at the stub.
 */
export function makeArmArtefactBuilder(width: ArmWidth): HandoffArtefactBuilder {
  const what = `${width.arch} build`;
  return {
    arch: width.arch,
    protocols: ["kexec", "linux"],
    entryModes: width.entryModes,
    probePayload: () => spinProbePayload(width.spin, 7, 3),
    build(request: ArtefactRequest): HandoffArtefact {
      checkArtefactRequest(this, what, request);
      const L = ARM_VIRT_LOADER_LAYOUT;
      const layout = layoutAlternatingPayload({ what, word: width.word, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, maxPayload: L.maxPayload });
      const state = width.entryState({ dtb: L.dtb, entry: L.entry, mode: request.entryMode ?? width.entryModes[0] });
      const blobs = layout.placed.map((p) => ({ name: `${p.role.replace(/[^a-z]+/g, "-")}-${p.addr.toString(16)}.bin`, bytes: p.bytes, addr: p.addr, role: p.role }));
      const qemu = { machine: armVirtMachine(width, request.entryMode), memory: "128M" };
      return armLoaderArtefact(width, { protocol: request.protocol, stubAddr: L.stub, state, list: layout, segments: [layout.segment], noVerify: request.noVerify, blobs, entry: L.entry, qemu });
    },
    nativeProbe(): NativeProbe {
      const { kernel, entry } = width.nativeProbeImage();
      // QEMU's loader picks its own DTB address: the state's DTB register is compared, but only forced-zero registers count as leftovers.
      return { kernel, entry, state: width.entryState({ dtb: 0n, entry, mode: width.entryModes[0] }) };
    },
  };
}
