import { aarch32XenConvention } from "@handoff/arm";
import type { HypercallConvention } from "@handoff/core";

/** An arm32 guest: `hvc #0xEA1` (A32 or T32), number r12, arguments r0..r4, result r0. */
export const ARM32_XEN_CONVENTION: HypercallConvention = aarch32XenConvention("r", "arm32 guest", {
  id: "arm32",
  entryRule: "native",
  sources: [
    "xen/include/public/arch-arm.h: number in r12, arguments r0..r4, result r0, HVC ISS = XEN_HYPERCALL_TAG 0xEA1, clobbers r12 and the used argument registers except r0",
  ],
});
