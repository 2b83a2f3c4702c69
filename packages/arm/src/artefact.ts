import { ValidationError, hex, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutFlatPayload, segmentCheck } from "@handoff/core/kexec";
import { ARM_VIRT_LOADER_LAYOUT, ARM_VIRT_PL011 } from "./virt.js";
import { armVirtMachine, type ArmWidth } from "./width.js";

const PAGE = 4096;

/** Two pages, so the list carries a staged and an in-place page; `b .` at the entry, a pattern after it. */
function probePayload(width: ArmWidth): Uint8Array {
  const p = new Uint8Array(2 * PAGE);
  p.set(width.spin, 0);
  for (let i = width.spin.length; i < p.length; i++) p[i] = (i * 7 + 3) & 0xff;
  return p;
}

/** Checks an artefact request against what `builder` accepts; `what` names the builder in the error. */
export function checkArtefactRequest(builder: HandoffArtefactBuilder, what: string, request: ArtefactRequest): void {
  if (request.vmmSelectors) throw new ValidationError(what, "--vmm-selectors is an x86 option");
  if (request.entryMode !== undefined && !builder.entryModes.includes(request.entryMode)) throw new ValidationError(what, `entry mode '${request.entryMode}' is not one of ${builder.entryModes.join(", ")}`);
  if (!builder.protocols.includes(request.protocol)) throw new ValidationError(what, `protocol '${request.protocol}' is not one of ${builder.protocols.join(", ")}`);
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
    probePayload: () => probePayload(width),
    build(request: ArtefactRequest): HandoffArtefact {
      checkArtefactRequest(this, what, request);
      const L = ARM_VIRT_LOADER_LAYOUT;
      if (BigInt(request.payload.length) > L.maxPayload) throw new ValidationError(what, `payload of ${request.payload.length} bytes exceeds ${hex(L.maxPayload)}`);
      // Odd pages are staged in place (their own destination): overlapping staging, copy-safe.
      const pages = Math.ceil(request.payload.length / PAGE);
      const inPlace = new Set(Array.from({ length: pages }, (_, i) => i).filter((i) => i % 2 === 1));
      const layout = layoutFlatPayload({ word: width.word, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, inPlace });
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
