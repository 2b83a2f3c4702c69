import { ValidationError, alignUp, hex, type HandoffArtefact, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine, type Segment, type SegmentRole } from "@handoff/core";
import { encodeFdt, parseFdt, setChosen } from "@handoff/core/fdt";
import { layoutInPlaceList } from "@handoff/core/kexec";
import { arm64KexecEntry } from "./handoff-states.js";
import { ARM64_BASE_ALIGNMENT, parseArm64Image } from "./image-header.js";
import { ARM64_HANDOFF_STUB, buildArm64Stub } from "./stub/stub.js";

const PAGE = 0x1000n;
const MIB = 0x10_0000n;

/** QEMU `-M virt -m 512M`: RAM at 0x4000_0000 (hw/arm/virt.c memmap VIRT_MEM). */
export const ARM64_LINUX_MACHINE: LinuxMachine = { machine: "virt", memory: "512M", ramBase: 0x4000_0000n, ramSize: 512n * MIB };

/** Where each piece of an arm64 Linux boot goes. */
export interface Arm64LinuxPlacement {
  /** 2 MiB-aligned base; the Image's first byte is at base + text_offset. */
  readonly base: bigint;
  readonly kernel: bigint;
  readonly kernelEnd: bigint;
  readonly dtb: bigint;
  readonly initrd: bigint;
  readonly stub: bigint;
  readonly list: bigint;
}

/**
 * Place an arm64 Image and its companions in RAM (booting.rst §3-§4): the
 * Image at a 2 MiB-aligned base + text_offset with image_size bytes of room;
 * the DTB 8-byte aligned (we use a page) and at most 2 MiB; the initrd
 * anywhere in RAM. The first 2 MiB are left to QEMU, which puts its own DTB at
 * the RAM base when it loads no kernel. Then DTB, initrd, stub and list follow
 * the kernel, page-aligned.
 */
export function placeArm64Linux(machine: LinuxMachine, textOffset: bigint, imageSize: bigint, dtbSize: bigint, initrdSize: bigint): Arm64LinuxPlacement {
  if (dtbSize > 2n * MIB) throw new ValidationError("arm64 DTB", `${hex(dtbSize)} bytes exceed booting.rst's 2 MiB`);
  const base = alignUp(machine.ramBase + 2n * MIB, ARM64_BASE_ALIGNMENT);
  const kernel = base + textOffset;
  const kernelEnd = alignUp(kernel + imageSize, 2n * MIB);
  const dtb = kernelEnd;
  const initrd = alignUp(dtb + dtbSize, 2n * MIB);
  const stub = alignUp(initrd + initrdSize, 2n * MIB);
  const list = stub + 0x1_0000n;
  // The list needs ~8 bytes per page placed; leave it 1 MiB.
  const end = list + MIB;
  if (end > machine.ramBase + machine.ramSize) throw new ValidationError("arm64 Linux placement", `needs RAM up to ${hex(end)}, the machine ends at ${hex(machine.ramBase + machine.ramSize)}`);
  return { base, kernel, kernelEnd, dtb, initrd, stub, list };
}

const bytesSegment = (bytes: Uint8Array, mem: bigint, memsz: bigint, role: SegmentRole, name: string): Segment => ({
  data: { kind: "bytes", bytes },
  bufsz: BigInt(bytes.length),
  mem,
  memsz,
  role,
  name,
});

/** arm64 Linux through the stub: Image, DTB with /chosen set by our FDT writer, initrd; x0 = DTB. */
export const arm64LinuxBootBuilder: LinuxBootBuilder = {
  arch: "arm64",
  protocols: ["linux"],
  needsMachineDtb: () => true,
  machine: (_protocol, entryMode) => (entryMode === "el2" ? { ...ARM64_LINUX_MACHINE, machine: "virt,virtualization=on" } : ARM64_LINUX_MACHINE),
  build(request: LinuxBootRequest): HandoffArtefact {
    if (!this.protocols.includes(request.protocol)) throw new ValidationError("arm64 Linux boot", `protocol '${request.protocol}' is not one of ${this.protocols.join(", ")}`);
    if (request.entryMode !== undefined && request.entryMode !== "el1" && request.entryMode !== "el2") throw new ValidationError("arm64 Linux boot", `entry mode '${request.entryMode}' is not el1 or el2`);
    if (!request.machineDtb) throw new ValidationError("arm64 Linux boot", "needs the machine's devicetree (QEMU -machine dumpdtb=FILE)");
    const image = parseArm64Image({ path: request.kernelPath, bytes: request.kernel });
    const seg = image.segments[0]!;
    const machine = this.machine(request.protocol, request.entryMode);
    const initrd = request.initrd ?? new Uint8Array(0);
    // The DTB grows by /chosen; size it after editing, with the initrd address known from a provisional placement.
    const { tree } = parseFdt(request.machineDtb, "machine DTB");
    const provisional = placeArm64Linux(machine, seg.mem, seg.memsz, 2n * MIB, BigInt(initrd.length));
    setChosen(tree, { bootargs: request.cmdline, ...(initrd.length ? { initrd: { start: provisional.initrd, end: provisional.initrd + BigInt(initrd.length) } } : {}) });
    const dtb = encodeFdt(tree);
    const p = placeArm64Linux(machine, seg.mem, seg.memsz, 2n * MIB, BigInt(initrd.length));
    const segments: Segment[] = [
      bytesSegment(request.kernel.subarray(0, Number(seg.bufsz)), p.kernel, alignUp(seg.memsz, PAGE), "kernel", "Image"),
      bytesSegment(dtb, p.dtb, alignUp(BigInt(dtb.length), PAGE), "dtb", "dtb"),
      ...(initrd.length ? [bytesSegment(initrd, p.initrd, alignUp(BigInt(initrd.length), PAGE), "initrd", "initrd")] : []),
    ];
    const list = layoutInPlaceList(segments, { word: 8, listBase: p.list });
    const state = arm64KexecEntry({ dtb: p.dtb, entry: p.kernel, el: request.entryMode === "el2" ? 2 : 1 });
    const stub = buildArm64Stub(state, list);
    const files = [
      { name: "stub.bin", bytes: stub.bytes, addr: p.stub, role: "stub" },
      { name: "indirection-list.bin", bytes: list.bytes, addr: p.list, role: "indirection-list" },
      ...segments.map((s) => ({ name: `${s.name}.bin`, bytes: (s.data as { bytes: Uint8Array }).bytes, addr: s.mem, role: `${s.role} (staged in place)` })),
    ];
    return {
      arch: "arm64",
      protocol: "linux",
      files,
      launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: p.stub },
      stubEntry: p.stub,
      stubFail: p.stub + BigInt(ARM64_HANDOFF_STUB.symbols.hd_fail!),
      entry: p.kernel,
      segments,
      list: { head: list.head, maxSteps: list.maxSteps, entries: list.entries },
      state,
      qemu: { machine: machine.machine, memory: machine.memory },
    };
  },
};
