import { RegisterFile, checkArtefactRequest, spinProbePayload, type ArtefactRequest, type HandoffArtefact, type HandoffArtefactBuilder, type NativeProbe } from "@handoff/core";
import { layoutAlternatingPayload } from "@handoff/core/kexec";
import { riscvLinuxEntryState } from "./linux-boot.js";
import { RISCV64_HANDOFF_STUB, buildRiscv64Stub } from "./stub/stub.js";
import { RISCV64_REGISTERS } from "./registers.js";

/**
 * Addresses for QEMU 7.2 `-M virt -m 128M`: RAM from 0x8000_0000; QEMU places
 * the DTB at the top of RAM aligned down to 2 MiB (0x87e0_0000 for 128 MiB,
 * hw/riscv/boot.c riscv_compute_fdt_addr). The payload sits where OpenSBI
 * puts the next stage (RAM + 2 MiB, text_offset of an rv64 Image), staging at
 * + 8 MiB, stub and list at + 16 MiB. The generic loader starts the hart at
 * the stub in M-mode (the OpenSBI image QEMU also loads at RAM never runs).
 */
export const RISCV64_VIRT_LAYOUT = { dtb: 0x87e0_0000n, entry: 0x8020_0000n, staging: 0x8080_0000n, stub: 0x8100_0000n, list: 0x8101_0000n, maxPayload: 4n << 20n } as const;

/** `j .` (JAL x0, 0): the probe payload spins at its entry. */
export const RISCV_SPIN = Uint8Array.from([0x6f, 0x00, 0x00, 0x00]);

function zeroed(): RegisterFile {
  return new RegisterFile("riscv64", RISCV64_REGISTERS);
}

const probePayload = () => spinProbePayload(RISCV_SPIN, 7, 3);

/** riscv64 artefacts for QEMU's generic loader: stub, list, staging blobs; PC = stub. */
export const riscv64ArtefactBuilder: HandoffArtefactBuilder = {
  arch: "riscv64",
  protocols: ["linux"],
  entryModes: [],
  probePayload,
  build(request: ArtefactRequest): HandoffArtefact {
    checkArtefactRequest(this, "riscv64 build", request); // riscv64 enters S-mode only: no entry-mode choice
    const L = RISCV64_VIRT_LAYOUT;
    const layout = layoutAlternatingPayload({ what: "riscv64 build", word: 8, payload: request.payload, dest: L.entry, staging: L.staging, listBase: L.list, maxPayload: L.maxPayload });
    const state = riscvLinuxEntryState(zeroed(), { entry: L.entry, hartId: 0n, dtb: L.dtb });
    const stub = buildRiscv64Stub(state, layout);
    const files = [
      { name: "stub.bin", bytes: stub.bytes, addr: L.stub, role: "stub" },
      ...layout.placed.map((p) => ({ name: `${p.role.replace(/[^a-z]+/g, "-")}-${p.addr.toString(16)}.bin`, bytes: p.bytes, addr: p.addr, role: p.role })),
    ];
    return {
      arch: "riscv64",
      protocol: request.protocol,
      files,
      launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: L.stub },
      stubEntry: L.stub,
      stubFail: L.stub + BigInt(RISCV64_HANDOFF_STUB.symbols.hd_fail),
      entry: L.entry,
      segments: [layout.segment],
      list: { head: layout.head, maxSteps: layout.maxSteps, entries: layout.entries },
      state,
      qemu: { machine: "virt", memory: "128M" },
    };
  },
  nativeProbe(): NativeProbe {
    // A RISC-V Image (boot-image-header.rst): code0 = j ., text_offset 2 MiB,
    // image_size 4 KiB, version 0.2, both magics. QEMU's -kernel with the
    // default OpenSBI firmware enters it at RAM + 2 MiB in S-mode.
    const img = new Uint8Array(4096);
    const v = new DataView(img.buffer);
    img.set(RISCV_SPIN, 0);
    v.setBigUint64(8, 0x20_0000n, true);
    v.setBigUint64(16, 4096n, true);
    v.setUint32(32, 2, true);
    v.setBigUint64(48, 0x5643534952n, true);
    v.setUint32(56, 0x05435352, true);
    const entry = RISCV64_VIRT_LAYOUT.entry;
    // OpenSBI picks the DTB address it passes: only forced-zero registers count as leftovers.
    return { kernel: img, entry, state: riscvLinuxEntryState(zeroed(), { entry, hartId: 0n, dtb: 0n }) };
  },
};
