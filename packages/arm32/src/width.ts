import { ARM_VIRT_LOADER_LAYOUT, EM_ARM, type ArmWidth } from "@handoff/arm";
import { arm32KexecEntry } from "./handoff-states.js";
import { ARM32_HANDOFF_STUB, buildArm32Stub } from "./stub/stub.js";

/** `b .` in A32. */
const SPIN = Uint8Array.from([0xfe, 0xff, 0xff, 0xea]);

/** What arm32 brings to the code it shares with arm64 (@handoff/arm): SVC/HYP entry, 4-byte list words, its stub. */
export const ARM32_WIDTH: ArmWidth = {
  arch: "arm32",
  elfMachine: EM_ARM,
  word: 4,
  entryModes: ["svc", "hyp"],
  spin: SPIN,
  entryState: ({ dtb, entry, mode }) => arm32KexecEntry({ dtb, entry, mode: mode === "hyp" ? "hyp" : "svc" }),
  buildStub: buildArm32Stub,
  stubVerifyFailOffset: BigInt(ARM32_HANDOFF_STUB.symbols.hd_verify_fail),
  stubFailOffset: BigInt(ARM32_HANDOFF_STUB.symbols.hd_fail),
  // A raw image: QEMU's arm loader puts it at RAM + 0x10000 and enters it through its own boot code.
  nativeProbeImage: () => {
    const kernel = new Uint8Array(64);
    kernel.set(SPIN, 0);
    return { kernel, entry: ARM_VIRT_LOADER_LAYOUT.dtb + 0x10000n };
  },
};
