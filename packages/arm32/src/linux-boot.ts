import { BoundedReader, ValidationError, alignUp, hex, type HandoffArtefact, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine, type Segment, type SegmentRole } from "@handoff/core";
import { encodeFdt, parseFdt, setChosen } from "@handoff/core/fdt";
import { layoutInPlaceList } from "@handoff/core/kexec";
import { arm32KexecEntry } from "./handoff-states.js";
import { ARM32_HANDOFF_STUB, buildArm32Stub } from "./stub/stub.js";
import { readZImage, ZIMAGE_FORMAT_ID } from "./zimage.js";

const PAGE = 0x1000n;
const MIB = 0x10_0000n;

/** QEMU `-M virt -m 512M` (qemu-system-arm): RAM at 0x4000_0000. */
export const ARM32_LINUX_MACHINE: LinuxMachine = { machine: "virt", memory: "512M", ramBase: 0x4000_0000n, ramSize: 512n * MIB };

/** TEXT_OFFSET of multiplatform ARM kernels: the decompressor writes the kernel at RAM base + 0x8000. */
export const ARM32_TEXT_OFFSET = 0x8000n;

/** Where each piece of an arm32 zImage boot goes. */
export interface Arm32LinuxPlacement {
  readonly zImage: bigint;
  /** End of the region the decompressor writes the kernel into (RAM + TEXT_OFFSET + size + BSS). */
  readonly decompressedEnd: bigint;
  readonly dtb: bigint;
  readonly initrd: bigint;
  readonly stub: bigint;
  readonly list: bigint;
}

/**
 * Place a zImage (Documentation/arch/arm/booting.rst §4-§5 and
 * arch/arm/boot/compressed/head.S): the decompressor derives the RAM base as
 * pc & 0xf8000000, so the zImage stays in the first 128 MiB of RAM; it
 * relocates itself only when it overlaps the output [RAM + TEXT_OFFSET, + the
 * decompressed size + BSS), so it goes above that (and at least 32 MiB in, as
 * booting.rst recommends). The DTB goes "just above the 128MiB boundary from
 * start of RAM", 8-byte aligned, where the decompressor cannot overwrite it;
 * the initrd follows it, then the stub and its list.
 */
export function placeArm32Linux(machine: LinuxMachine, zImageSize: bigint, decompressed: bigint, dtbSize: bigint, initrdSize: bigint): Arm32LinuxPlacement {
  const decompressedEnd = machine.ramBase + ARM32_TEXT_OFFSET + decompressed;
  let zImage = alignUp(decompressedEnd + MIB, 2n * MIB);
  if (zImage < machine.ramBase + 32n * MIB) zImage = machine.ramBase + 32n * MIB;
  // Room for the decompressor's stack and malloc arena above its image.
  const zEnd = zImage + zImageSize + MIB;
  if (zEnd > machine.ramBase + 128n * MIB) throw new ValidationError("arm32 Linux placement", `zImage ${hex(zImage)}..${hex(zEnd)} leaves the first 128 MiB of RAM (head.S: base = pc & 0xf8000000)`);
  const dtb = machine.ramBase + 128n * MIB;
  const initrd = alignUp(dtb + dtbSize, 2n * MIB);
  const stub = alignUp(initrd + initrdSize, 2n * MIB);
  const list = stub + 0x1_0000n;
  const end = list + MIB;
  if (end > machine.ramBase + machine.ramSize) throw new ValidationError("arm32 Linux placement", `needs RAM up to ${hex(end)}, the machine ends at ${hex(machine.ramBase + machine.ramSize)}`);
  return { zImage, decompressedEnd, dtb, initrd, stub, list };
}

const bytesSegment = (bytes: Uint8Array, mem: bigint, role: SegmentRole, name: string): Segment => ({
  data: { kind: "bytes", bytes },
  bufsz: BigInt(bytes.length),
  mem,
  memsz: alignUp(BigInt(bytes.length), PAGE),
  role,
  name,
});

/** arm32 Linux through the stub: zImage, DTB with /chosen set by our FDT writer, initrd; r0 = 0, r1 = ~0, r2 = DTB. */
export const arm32LinuxBootBuilder: LinuxBootBuilder = {
  arch: "arm32",
  protocols: ["linux"],
  needsMachineDtb: () => true,
  machine: (_protocol, entryMode) => (entryMode === "hyp" ? { ...ARM32_LINUX_MACHINE, machine: "virt,virtualization=on" } : ARM32_LINUX_MACHINE),
  build(request: LinuxBootRequest): HandoffArtefact {
    if (!this.protocols.includes(request.protocol)) throw new ValidationError("arm32 Linux boot", `protocol '${request.protocol}' is not one of ${this.protocols.join(", ")}`);
    if (request.entryMode !== undefined && request.entryMode !== "svc" && request.entryMode !== "hyp") throw new ValidationError("arm32 Linux boot", `entry mode '${request.entryMode}' is not svc or hyp`);
    if (!request.machineDtb) throw new ValidationError("arm32 Linux boot", "needs the machine's devicetree (QEMU -machine dumpdtb=FILE)");
    const z = readZImage(new BoundedReader(request.kernel, request.kernelPath, ZIMAGE_FORMAT_ID));
    if (z.start !== 0) throw new ValidationError(request.kernelPath, `zImage start ${hex(z.start)} is not 0 (a position-dependent zImage)`);
    if (!z.kernelSize) throw new ValidationError(request.kernelPath, "zImage has no KLSZ tag: the decompressed size (and so a safe place) is unknown");
    const decompressed = BigInt(z.kernelSize.decompressedSize) + BigInt(z.kernelSize.bssSize);
    const zBytes = request.kernel.subarray(0, z.size + (z.appendedDtb?.size ?? 0));
    const machine = this.machine(request.protocol, request.entryMode);
    const initrd = request.initrd ?? new Uint8Array(0);
    const p = placeArm32Linux(machine, BigInt(zBytes.length), decompressed, 2n * MIB, BigInt(initrd.length));
    const { tree } = parseFdt(request.machineDtb, "machine DTB");
    setChosen(tree, { bootargs: request.cmdline, ...(initrd.length ? { initrd: { start: p.initrd, end: p.initrd + BigInt(initrd.length) } } : {}) });
    const dtb = encodeFdt(tree);
    if (BigInt(dtb.length) > 2n * MIB) throw new ValidationError("arm32 DTB", `${dtb.length} bytes exceed the 2 MiB planned for it`);
    const segments: Segment[] = [
      bytesSegment(zBytes, p.zImage, "kernel", "zImage"),
      bytesSegment(dtb, p.dtb, "dtb", "dtb"),
      ...(initrd.length ? [bytesSegment(initrd, p.initrd, "initrd", "initrd")] : []),
    ];
    const list = layoutInPlaceList(segments, { word: 4, listBase: p.list });
    const state = arm32KexecEntry({ dtb: p.dtb, entry: p.zImage, mode: request.entryMode === "hyp" ? "hyp" : "svc" });
    const stub = buildArm32Stub(state, list);
    const files = [
      { name: "stub.bin", bytes: stub.bytes, addr: p.stub, role: "stub" },
      { name: "indirection-list.bin", bytes: list.bytes, addr: p.list, role: "indirection-list" },
      ...segments.map((s) => ({ name: `${s.name}.bin`, bytes: (s.data as { bytes: Uint8Array }).bytes, addr: s.mem, role: `${s.role} (staged in place)` })),
    ];
    return {
      arch: "arm32",
      protocol: "linux",
      files,
      launch: { kind: "loader", blobs: files.map((f) => ({ file: f.name, addr: f.addr })), entry: p.stub },
      stubEntry: p.stub,
      stubFail: p.stub + BigInt(ARM32_HANDOFF_STUB.symbols.hd_fail!),
      entry: p.zImage,
      segments,
      list: { head: list.head, maxSteps: list.maxSteps, entries: list.entries },
      state,
      qemu: { machine: machine.machine, memory: machine.memory },
    };
  },
};
