import { ARM_VIRT_LINUX_MACHINE, makeArmLinuxKdumpBuilder, placeAfterDtb, type ArmLinuxKernel, type ArmLinuxPlacement, type ArmLinuxWidth } from "@handoff/arm";
import { ByteReader, ValidationError, alignUp, hex, type LinuxBootBuilder, type LinuxBootRequest, type LinuxMachine } from "@handoff/core";
import { ARM32_WIDTH } from "./width.js";
import { readZImage, ZIMAGE_FORMAT_ID } from "./zimage.js";

const MIB = 0x10_0000n;

/** QEMU `-M virt -m 512M` (qemu-system-arm): RAM at 0x4000_0000. */
export const ARM32_LINUX_MACHINE: LinuxMachine = ARM_VIRT_LINUX_MACHINE;

/** TEXT_OFFSET of multiplatform ARM kernels: the decompressor writes the kernel at RAM base + 0x8000. */
export const ARM32_TEXT_OFFSET = 0x8000n;

/** Where each piece of an arm32 zImage boot goes. */
export interface Arm32LinuxPlacement extends ArmLinuxPlacement {
  /** The zImage's first byte (= `kernel`, the entry). */
  readonly zImage: bigint;
  /** End of the region the decompressor writes the kernel into (RAM + TEXT_OFFSET + size + BSS). */
  readonly decompressedEnd: bigint;
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
export function placeArm32Linux(machine: LinuxMachine, zImageSize: bigint, decompressed: bigint, initrdSize: bigint, compact = false): Arm32LinuxPlacement {
  const decompressedEnd = machine.ramBase + ARM32_TEXT_OFFSET + decompressed;
  let zImage = alignUp(decompressedEnd + MIB, 2n * MIB);
  if (zImage < machine.ramBase + 32n * MIB) zImage = machine.ramBase + 32n * MIB;
  // Room for the decompressor's stack and malloc arena above its image.
  const zEnd = zImage + zImageSize + MIB;
  if (zEnd > machine.ramBase + 128n * MIB) throw new ValidationError("arm32 Linux placement", `zImage ${hex(zImage)}..${hex(zEnd)} leaves the first 128 MiB of RAM (head.S: base = pc & 0xf8000000)`);
  // compact (a crash region): the decompressor writes nothing above zEnd, so the DTB may follow it.
  const dtb = compact ? alignUp(zEnd, 2n * MIB) : machine.ramBase + 128n * MIB;
  return { ...placeAfterDtb("arm32 Linux placement", machine, zImage, dtb, initrdSize), zImage, decompressedEnd };
}

/** Reads a zImage for a Linux boot: position-independent, with a KLSZ tag giving the decompressed size. */
function readKernel(request: LinuxBootRequest): ArmLinuxKernel {
  const z = readZImage(new ByteReader(request.kernel, request.kernelPath, ZIMAGE_FORMAT_ID));
  if (z.start !== 0) throw new ValidationError(request.kernelPath, `zImage start ${hex(z.start)} is not 0 (a position-dependent zImage)`);
  if (!z.kernelSize) throw new ValidationError(request.kernelPath, "zImage has no KLSZ tag: the decompressed size (and so a safe place) is unknown");
  const decompressed = BigInt(z.kernelSize.decompressedSize) + BigInt(z.kernelSize.bssSize);
  const bytes = request.kernel.subarray(0, z.size + (z.appendedDtb?.size ?? 0));
  return { name: "zImage", bytes, memsz: BigInt(bytes.length), place: (m: LinuxMachine, initrdSize: bigint, options) => placeArm32Linux(m, BigInt(bytes.length), decompressed, initrdSize, options?.compact) };
}

const ARM32_LINUX_WIDTH: ArmLinuxWidth = { ...ARM32_WIDTH, readKernel };

/** arm32 Linux through the stub: zImage, DTB with /chosen set by our FDT writer, initrd; r0 = 0, r1 = ~0, r2 = DTB. */
export const arm32LinuxBootBuilder: LinuxBootBuilder = makeArmLinuxKdumpBuilder(ARM32_LINUX_WIDTH);
