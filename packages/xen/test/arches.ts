import type { Architecture, HypercallAbi } from "@handoff/core";
import { ARM32_REGISTERS, arm32Architecture } from "@handoff/arm32";
import { ARM64_REGISTERS, arm64Architecture } from "@handoff/arm64";
import { X86_32_REGISTERS, x86_32Architecture } from "@handoff/x86_32";
import { X86_64_REGISTERS, x86_64Architecture } from "@handoff/x86_64";

/** The four real architectures, as the CLI would load them. */
export const ARCHES: Record<"x86_32" | "x86_64" | "arm32" | "arm64", Architecture> = {
  x86_32: x86_32Architecture,
  x86_64: x86_64Architecture,
  arm32: arm32Architecture,
  arm64: arm64Architecture,
};

export const abiOf = (id: keyof typeof ARCHES): HypercallAbi => ARCHES[id].hypercallAbi!;
