import { ARM_VIRT_LOADER_LAYOUT, EM_AARCH64, type ArmWidth } from "@handoff/arm";
import { arm64KexecEntry } from "./handoff-states.js";
import { ARM64_HANDOFF_STUB, buildArm64Stub } from "./stub/stub.js";
import { arm64CheckTables } from "./stub/check-tables.js";
import { ARM64_FLAGS_OFFSET, ARM64_IMAGE_MAGIC, ARM64_IMAGE_SIZE_OFFSET, ARM64_LEGACY_TEXT_OFFSET, ARM64_MAGIC_OFFSET, ARM64_TEXT_OFFSET_OFFSET } from "./image-header.js";

/** `b .` in A64. */
const SPIN = Uint8Array.from([0x00, 0x00, 0x00, 0x14]);

/**
 * The smallest arm64 Image QEMU's `-kernel` accepts (booting.rst §4 header):
 * code0 = `b .`, text_offset 0x80000, image_size 4 KiB, flags 0x2 (4K pages).
 */
function probeImage(): Uint8Array {
  const img = new Uint8Array(4096);
  const v = new DataView(img.buffer);
  img.set(SPIN, 0);
  v.setBigUint64(ARM64_TEXT_OFFSET_OFFSET, ARM64_LEGACY_TEXT_OFFSET, true);
  v.setBigUint64(ARM64_IMAGE_SIZE_OFFSET, 4096n, true);
  v.setBigUint64(ARM64_FLAGS_OFFSET, 0x2n, true);
  v.setUint32(ARM64_MAGIC_OFFSET, ARM64_IMAGE_MAGIC, true);
  return img;
}

/** What arm64 brings to the code it shares with arm32 (@handoff/arm): EL1/EL2 entry, 8-byte list words, its stub. */
export const ARM64_WIDTH: ArmWidth = {
  arch: "arm64",
  elfMachine: EM_AARCH64,
  word: 8,
  entryModes: ["el1", "el2"],
  spin: SPIN,
  entryState: ({ dtb, entry, mode }) => arm64KexecEntry({ dtb, entry, el: mode === "el2" ? 2 : 1 }),
  buildStub: buildArm64Stub,
  checkTables: arm64CheckTables,
  stubVerifyFailOffset: BigInt(ARM64_HANDOFF_STUB.symbols.hd_verify_fail),
  stubFailOffset: BigInt(ARM64_HANDOFF_STUB.symbols.hd_fail),
  nativeProbeImage: () => ({ kernel: probeImage(), entry: ARM_VIRT_LOADER_LAYOUT.dtb + ARM64_LEGACY_TEXT_OFFSET }),
};
