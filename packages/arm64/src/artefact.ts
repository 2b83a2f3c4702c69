import { ValidationError, hex, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutFlatPayload } from "@handoff/core/kexec";
import { arm64KexecEntry } from "./handoff-states.js";
import { buildArm64Stub, ARM64_HANDOFF_STUB } from "./stub/stub.js";

/**
 * Addresses for QEMU `-M virt` with at least 128 MiB: RAM from 0x40000000,
 * where QEMU itself puts the DTB when it loads no kernel (so x0 points at a
 * real DTB). Payload at RAM + 4 MiB, staging at + 8 MiB, stub and list at + 16 MiB.
 */
export const ARM64_VIRT_LAYOUT = { dtb: 0x4000_0000n, entry: 0x4040_0000n, staging: 0x4080_0000n, stub: 0x4100_0000n, list: 0x4101_0000n, maxPayload: 4n << 20n } as const;

/** `b .`: the probe payload spins at its entry. */
const SPIN = Uint8Array.from([0x00, 0x00, 0x00, 0x14]);

function probePayload(): Uint8Array {
  // Two pages, so the list carries a staged and an in-place page.
  const p = new Uint8Array(8192);
  p.set(SPIN, 0);
  for (let i = 4; i < p.length; i++) p[i] = (i * 7 + 3) & 0xff;
  return p;
}

/** arm64 artefacts for QEMU's generic loader: stub, list, staging blobs; PC = stub. */
export const arm64ArtefactBuilder: HandoffArtefactBuilder = {
  arch: "arm64",
  protocols: ["kexec", "linux"],
  entryModes: ["el1", "el2"],
  probePayload,
  build(request: ArtefactRequest): HandoffArtefact {
    if (request.vmmSelectors) throw new ValidationError("arm64 build", "--vmm-selectors is an x86 option");
    if (request.entryMode !== undefined && !this.entryModes.includes(request.entryMode)) throw new ValidationError("arm64 build", `entry mode '${request.entryMode}' is not one of ${this.entryModes.join(", ")}`);
    if (!this.protocols.includes(request.protocol)) throw new ValidationError("arm64 build", `protocol '${request.protocol}' is not one of ${this.protocols.join(", ")}`);
    const L = ARM64_VIRT_LAYOUT;
    if (BigInt(request.payload.length) > L.maxPayload) throw new ValidationError("arm64 build", `payload of ${request.payload.length} bytes exceeds ${hex(L.maxPayload)}`);
    // Odd pages are staged in place (their own destination): overlapping staging, copy-safe.
    const pages = Math.ceil(request.payload.length / 4096);
    const layout = layoutFlatPayload({ word: 8, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, inPlace: new Set(Array.from({ length: pages }, (_, i) => i).filter((i) => i % 2 === 1)) });
    const state = arm64KexecEntry({ dtb: L.dtb, entry: L.entry, el: request.entryMode === "el2" ? 2 : 1 });
    const stub = buildArm64Stub(state, layout);
    const files = [
      { name: "stub.bin", bytes: stub.bytes, addr: L.stub, role: "stub" },
      ...layout.placed.map((p) => ({ name: `${p.role.replace(/[^a-z]+/g, "-")}-${p.addr.toString(16)}.bin`, bytes: p.bytes, addr: p.addr, role: p.role })),
    ];
    return {
      arch: "arm64",
      protocol: request.protocol,
      files,
      launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: L.stub },
      stubEntry: L.stub,
      stubFail: L.stub + BigInt(ARM64_HANDOFF_STUB.symbols.hd_fail),
      entry: L.entry,
      segments: [layout.segment],
      list: { head: layout.head, maxSteps: layout.maxSteps, entries: layout.entries },
      state,
      qemu: { machine: request.entryMode === "el2" || request.entryMode === "hyp" ? "virt,virtualization=on" : "virt", memory: "128M" },
    };
  },
  nativeProbe(): NativeProbe {
    // An arm64 Image (booting.rst §4 header): code0 = b ., text_offset 0x80000,
    // image_size 4 KiB, flags 0x2 (4K pages), magic "ARM\x64" at 56.
    const img = new Uint8Array(4096);
    const v = new DataView(img.buffer);
    img.set(SPIN, 0);
    v.setBigUint64(8, 0x80000n, true);
    v.setBigUint64(16, 4096n, true);
    v.setBigUint64(24, 0x2n, true);
    v.setUint32(56, 0x644d5241, true);
    const entry = ARM64_VIRT_LAYOUT.dtb + 0x80000n;
    // QEMU's loader picks its own DTB address: the state's x0 is compared but only forced-zero registers count as leftovers.
    return { kernel: img, entry, state: arm64KexecEntry({ dtb: 0n, entry }) };
  },
};
