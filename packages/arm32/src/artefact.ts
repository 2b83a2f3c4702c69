import { ValidationError, hex, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutFlatPayload } from "@handoff/core/kexec";
import { arm32KexecEntry } from "./handoff-states.js";
import { buildArm32Stub, ARM32_HANDOFF_STUB } from "./stub/stub.js";

/** Addresses for QEMU `-M virt` (arm) with at least 128 MiB; QEMU's DTB at RAM base when it loads no kernel. */
export const ARM32_VIRT_LAYOUT = { dtb: 0x4000_0000n, entry: 0x4040_0000n, staging: 0x4080_0000n, stub: 0x4100_0000n, list: 0x4101_0000n, maxPayload: 4n << 20n } as const;

/** `b .` in A32. */
const SPIN = Uint8Array.from([0xfe, 0xff, 0xff, 0xea]);

function probePayload(): Uint8Array {
  const p = new Uint8Array(8192);
  p.set(SPIN, 0);
  for (let i = 4; i < p.length; i++) p[i] = (i * 5 + 1) & 0xff;
  return p;
}

/** arm32 artefacts for QEMU's generic loader: stub, list, staging blobs; PC = stub. */
export const arm32ArtefactBuilder: HandoffArtefactBuilder = {
  arch: "arm32",
  protocols: ["kexec", "linux"],
  entryModes: ["svc", "hyp"],
  probePayload,
  build(request: ArtefactRequest): HandoffArtefact {
    if (request.vmmSelectors) throw new ValidationError("arm32 build", "--vmm-selectors is an x86 option");
    if (request.entryMode !== undefined && !this.entryModes.includes(request.entryMode)) throw new ValidationError("arm32 build", `entry mode '${request.entryMode}' is not one of ${this.entryModes.join(", ")}`);
    if (!this.protocols.includes(request.protocol)) throw new ValidationError("arm32 build", `protocol '${request.protocol}' is not one of ${this.protocols.join(", ")}`);
    const L = ARM32_VIRT_LAYOUT;
    if (BigInt(request.payload.length) > L.maxPayload) throw new ValidationError("arm32 build", `payload of ${request.payload.length} bytes exceeds ${hex(L.maxPayload)}`);
    const pages = Math.ceil(request.payload.length / 4096);
    const layout = layoutFlatPayload({ word: 4, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, inPlace: new Set(Array.from({ length: pages }, (_, i) => i).filter((i) => i % 2 === 1)) });
    const state = arm32KexecEntry({ dtb: L.dtb, entry: L.entry, mode: request.entryMode === "hyp" ? "hyp" : "svc" });
    const stub = buildArm32Stub(state, layout);
    const files = [
      { name: "stub.bin", bytes: stub.bytes, addr: L.stub, role: "stub" },
      ...layout.placed.map((p) => ({ name: `${p.role.replace(/[^a-z]+/g, "-")}-${p.addr.toString(16)}.bin`, bytes: p.bytes, addr: p.addr, role: p.role })),
    ];
    return {
      arch: "arm32",
      protocol: request.protocol,
      files,
      launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: L.stub },
      stubEntry: L.stub,
      stubFail: L.stub + BigInt(ARM32_HANDOFF_STUB.symbols.hd_fail),
      entry: L.entry,
      segments: [layout.segment],
      list: { head: layout.head, maxSteps: layout.maxSteps, entries: layout.entries },
      state,
      qemu: { machine: request.entryMode === "el2" || request.entryMode === "hyp" ? "virt,virtualization=on" : "virt", memory: "128M" },
    };
  },
  nativeProbe(): NativeProbe {
    // A raw image: QEMU's arm loader puts it at RAM + 0x10000 and enters it through its own boot code.
    const entry = ARM32_VIRT_LAYOUT.dtb + 0x10000n;
    const img = new Uint8Array(64);
    img.set(SPIN, 0);
    return { kernel: img, entry, state: arm32KexecEntry({ dtb: 0n, entry }) };
  },
};
