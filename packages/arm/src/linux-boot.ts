import { ValidationError, alignUp, hex, machineWithMemory, type HandoffArtefact, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine, type Segment, type SegmentRole } from "@handoff/core";
import { encodeFdt, parseFdt, setChosen, setFdtMemory } from "@handoff/core/fdt";
import { layoutInPlaceList } from "@handoff/core/kexec";
import { armLoaderArtefact } from "./artefact.js";
import { ARM_VIRT_LINUX_MACHINE } from "./virt.js";
import { armVirtMachine, type ArmWidth } from "./width.js";

const PAGE = 0x1000n;
const MIB = 0x10_0000n;
/** Room planned for the DTB: booting.rst (arm64 §2) caps it at 2 MiB; arm32 keeps the same. */
export const ARM_DTB_ROOM = 2n * MIB;

/** Where the pieces of an Arm Linux boot go; `kernel` is the first byte of the kernel file (and the entry). */
export interface ArmLinuxPlacement {
  readonly kernel: bigint;
  readonly dtb: bigint;
  readonly initrd: bigint;
  readonly stub: bigint;
  readonly list: bigint;
}

/**
 * The common tail of both widths' placements: above the DTB's room come the
 * initrd, the stub and its list, each 2 MiB-aligned; the list needs ~1 word
 * per page placed, so it gets 1 MiB. Throws when that leaves the machine's RAM.
 */
export function placeAfterDtb(what: string, machine: LinuxMachine, kernel: bigint, dtb: bigint, initrdSize: bigint): ArmLinuxPlacement {
  const initrd = alignUp(dtb + ARM_DTB_ROOM, 2n * MIB);
  const stub = alignUp(initrd + initrdSize, 2n * MIB);
  const list = stub + 0x1_0000n;
  const end = list + MIB;
  if (end > machine.ramBase + machine.ramSize) throw new ValidationError(what, `needs RAM up to ${hex(end)}, the machine ends at ${hex(machine.ramBase + machine.ramSize)}`);
  return { kernel, dtb, initrd, stub, list };
}

/** A kernel file read and checked by its width: the bytes to load, the room they need, and where everything goes. */
export interface ArmLinuxKernel {
  /** Segment name: `zImage`, `Image`. */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Room at the load address (the image plus what it zeroes, e.g. arm64 image_size). */
  readonly memsz: bigint;
  /**
   * Where the kernel, DTB, initrd, stub and list go on `machine` with an
   * initrd of `initrdSize` bytes. `compact`: the DTB right above what the
   * kernel occupies, for a crash region with no room to spare (arm32 otherwise
   * keeps it at RAM + 128 MiB).
   */
  place(machine: LinuxMachine, initrdSize: bigint, options?: { readonly compact?: boolean }): ArmLinuxPlacement;
}

/** A width table plus how that width reads its kernel file (zImage, arm64 Image). */
export interface ArmLinuxWidth extends ArmWidth {
  /** Reads and checks the kernel file of `request`; typed errors name the file and field. */
  readKernel(request: LinuxBootRequest): ArmLinuxKernel;
}

const bytesSegment = (bytes: Uint8Array, mem: bigint, memsz: bigint, role: SegmentRole, name: string): Segment => ({
  data: { kind: "bytes", bytes },
  bufsz: BigInt(bytes.length),
  mem,
  memsz: alignUp(memsz, PAGE),
  role,
  name,
});

/**
 * Arm Linux through the stub, for either width (booting.rst of arch/arm and
 * arch/arm64): the kernel, the machine's DTB with /chosen (bootargs, initrd)
 * set by our FDT writer and /memory made the machine's RAM (a `--dtb` that
 * says otherwise is corrected: QEMU gets `-m` of the plan), and the initrd, each staged in place; the stub runs
 * the list and enters with the width's Linux entry state (DTB register set).
 */
export function makeArmLinuxBootBuilder(width: ArmLinuxWidth): LinuxBootBuilder {
  const what = `${width.arch} Linux boot`;
  return {
    arch: width.arch,
    protocols: ["linux"],
    needsMachineDtb: () => true,
    machine: (_protocol, entryMode, memory) => ({ ...machineWithMemory(ARM_VIRT_LINUX_MACHINE, memory), machine: armVirtMachine(width, entryMode) }),
    build(request: LinuxBootRequest): HandoffArtefact {
      if (!this.protocols.includes(request.protocol)) throw new ValidationError(what, `protocol '${request.protocol}' is not one of ${this.protocols.join(", ")}`);
      if (request.entryMode !== undefined && !width.entryModes.includes(request.entryMode)) throw new ValidationError(what, `entry mode '${request.entryMode}' is not ${width.entryModes.join(" or ")}`);
      if (!request.machineDtb) throw new ValidationError(what, "needs the machine's devicetree (QEMU -machine dumpdtb=FILE)");
      const kernel = width.readKernel(request);
      const machine = this.machine(request.protocol, request.entryMode, request.memory);
      const initrd = request.initrd ?? new Uint8Array(0);
      const p = kernel.place(machine, BigInt(initrd.length));
      const { tree } = parseFdt(request.machineDtb, "machine DTB");
      // The kernel must see the RAM QEMU has and the plan placed into: a given DTB's /memory is rewritten to the machine's.
      setFdtMemory(tree, [{ start: machine.ramBase, size: machine.ramSize, type: "ram" }]);
      setChosen(tree, { bootargs: request.cmdline, ...(initrd.length ? { initrd: { start: p.initrd, end: p.initrd + BigInt(initrd.length) } } : {}) });
      const dtb = encodeFdt(tree);
      if (BigInt(dtb.length) > ARM_DTB_ROOM) throw new ValidationError(`${width.arch} DTB`, `${dtb.length} bytes exceed the 2 MiB planned for it`);
      const segments: Segment[] = [
        bytesSegment(kernel.bytes, p.kernel, kernel.memsz, "kernel", kernel.name),
        bytesSegment(dtb, p.dtb, BigInt(dtb.length), "dtb", "dtb"),
        ...(initrd.length ? [bytesSegment(initrd, p.initrd, BigInt(initrd.length), "initrd", "initrd")] : []),
      ];
      const list = layoutInPlaceList(segments, { word: width.word, listBase: p.list });
      const state = width.entryState({ dtb: p.dtb, entry: p.kernel, mode: request.entryMode ?? width.entryModes[0] });
      const blobs = [
        { name: "indirection-list.bin", bytes: list.bytes, addr: p.list, role: "indirection-list" },
        ...segments.map((s) => ({ name: `${s.name}.bin`, bytes: (s.data as { bytes: Uint8Array }).bytes, addr: s.mem, role: `${s.role} (staged in place)` })),
      ];
      const qemu = { machine: machine.machine, memory: machine.memory };
      return armLoaderArtefact(width, { protocol: "linux", stubAddr: p.stub, state, list, segments, noVerify: request.noVerify, blobs, entry: p.kernel, qemu });
    },
  };
}
