import { AAPCS64_DATA_MODEL, ARM_XEN_SOURCES, ARM_XEN_TYPEDEFS, XEN_HYPERCALL_TAG, aarch32XenConvention, armXenHandle, xenGuestHandleName } from "@handoff/arm";
import { encodeHvcA64 } from "@handoff/arm";
import { type HypercallConvention } from "@handoff/core";
import { AARCH32_MODE } from "./registers.js";

/** An AArch64 guest: `hvc #0xEA1`, number x16, arguments x0..x4, result x0. */
export const AARCH64_XEN_CONVENTION: HypercallConvention = {
  id: "aarch64",
  guestBits: 64,
  numberRegister: "x16",
  argumentRegisters: ["x0", "x1", "x2", "x3", "x4"],
  resultRegister: "x0",
  alwaysClobbered: ["x16"],
  clobbersUsedArguments: true,
  instructions: [{ mnemonic: "hvc #0xea1", isa: "A64", bytes: encodeHvcA64(XEN_HYPERCALL_TAG), usedBy: "AArch64 guest" }],
  entryRule: "native",
  dataModel: AAPCS64_DATA_MODEL,
  typedefs: ARM_XEN_TYPEDEFS,
  handleRepresentation: armXenHandle,
  handleName: xenGuestHandleName,
  sources: ARM_XEN_SOURCES,
};

/**
 * An AArch32 guest on AArch64 Xen: r12 and r0..r4 are the low halves of x12
 * and x0..x4 (Arm ARM D1.20.1); Xen zeroes the upper halves of every GPR on
 * entry from AArch32 (xen/arch/arm/arm64/entry.S, `clobber_gp_top_halves`).
 */
export const AARCH32_XEN_CONVENTION: HypercallConvention = aarch32XenConvention("w", "AArch32 guest", {
  id: "aarch32",
  entryRule: "zero-upper",
  narrowMode: AARCH32_MODE,
  sources: [...ARM_XEN_SOURCES, "xen/arch/arm/arm64/entry.S clobber_gp_top_halves"],
});
