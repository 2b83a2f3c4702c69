import { ARM_VIRT_LINUX_MACHINE, makeArmLinuxKdumpBuilder, placeAfterDtb, type ArmLinuxKernel, type ArmLinuxPlacement } from "@handoff/arm";
import { alignUp, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine } from "@handoff/core";
import { ARM64_BASE_ALIGNMENT, parseArm64Image } from "./image-header.js";
import { ARM64_WIDTH } from "./width.js";

const MIB = 0x10_0000n;

/** QEMU `-M virt -m 512M`: RAM at 0x4000_0000 (hw/arm/virt.c memmap VIRT_MEM). */
export const ARM64_LINUX_MACHINE: LinuxMachine = ARM_VIRT_LINUX_MACHINE;

/** Where each piece of an arm64 Linux boot goes. */
export interface Arm64LinuxPlacement extends ArmLinuxPlacement {
  /** 2 MiB-aligned base; the Image's first byte (`kernel`) is at base + text_offset. */
  readonly base: bigint;
  readonly kernelEnd: bigint;
}

/**
 * Place an arm64 Image and its companions in RAM (booting.rst §3-§4): the
 * Image at a 2 MiB-aligned base + text_offset with image_size bytes of room;
 * the DTB 8-byte aligned (we use 2 MiB) and at most 2 MiB; the initrd
 * anywhere in RAM. The first 2 MiB are left to QEMU, which puts its own DTB at
 * the RAM base when it loads no kernel. Then DTB, initrd, stub and list follow
 * the kernel.
 */
export function placeArm64Linux(machine: LinuxMachine, textOffset: bigint, imageSize: bigint, initrdSize: bigint): Arm64LinuxPlacement {
  const base = alignUp(machine.ramBase + 2n * MIB, ARM64_BASE_ALIGNMENT);
  const kernel = base + textOffset;
  const kernelEnd = alignUp(kernel + imageSize, 2n * MIB);
  return { ...placeAfterDtb("arm64 Linux placement", machine, kernel, kernelEnd, initrdSize), base, kernelEnd };
}

/** Reads an arm64 Image for a Linux boot: the header gives text_offset and image_size (BSS included). */
function readKernel(request: LinuxBootRequest): ArmLinuxKernel {
  const seg = parseArm64Image({ path: request.kernelPath, bytes: request.kernel }).segments[0]!;
  return { name: "Image", bytes: request.kernel.subarray(0, Number(seg.bufsz)), memsz: seg.memsz, place: (m, initrdSize) => placeArm64Linux(m, seg.mem, seg.memsz, initrdSize) };
}

/** arm64 Linux through the stub: Image, DTB with /chosen set by our FDT writer, initrd; x0 = DTB. */
export const arm64LinuxBootBuilder: LinuxBootBuilder = makeArmLinuxKdumpBuilder({ ...ARM64_WIDTH, readKernel });
