import { checkArtefactRequest, spinProbePayload, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutAlternatingPayload, segmentCheck } from "@handoff/core/kexec";
import { ARM_VIRT_LOADER_LAYOUT, ARM_VIRT_PL011 } from "./virt.js";
import { armVirtMachine, type ArmWidth } from "./width.js";


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
      const check = segmentCheck([layout.segment], { noVerify: request.noVerify, console: ARM_VIRT_PL011 });
      const stub = width.buildStub(state, layout, check);
      const files = [
        { name: "stub.bin", bytes: stub.bytes, addr: L.stub, role: "stub" },
        ...layout.placed.map((p) => ({ name: `${p.role.replace(/[^a-z]+/g, "-")}-${p.addr.toString(16)}.bin`, bytes: p.bytes, addr: p.addr, role: p.role })),
      ];
      return {
        arch: width.arch,
        protocol: request.protocol,
        files,
        launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: L.stub },
        stubEntry: L.stub,
        stubFail: L.stub + width.stubFailOffset,
        verify: { regions: check.regions.length, failPc: L.stub + width.stubVerifyFailOffset },
        entry: L.entry,
        segments: [layout.segment],
        list: { head: layout.head, maxSteps: layout.maxSteps, entries: layout.entries },
        state,
        qemu: { machine: armVirtMachine(width, request.entryMode), memory: "128M" },
      };
    },
    nativeProbe(): NativeProbe {
      const { kernel, entry } = width.nativeProbeImage();
      // QEMU's loader picks its own DTB address: the state's DTB register is compared, but only forced-zero registers count as leftovers.
      return { kernel, entry, state: width.entryState({ dtb: 0n, entry, mode: width.entryModes[0] }) };
    },
  };
}
