import type { Architecture, HypercallAbi } from "@handoff/core";
import { ARM32_REGISTERS, Arm32Architecture } from "@handoff/arm32";
import { ARM64_REGISTERS, Arm64Architecture } from "@handoff/arm64";
import { X86_32_REGISTERS, X86_32Architecture } from "@handoff/x86_32";
import { X86_64_REGISTERS, X86_64Architecture } from "@handoff/x86_64";

/** The four real architectures, as the CLI would load them. */
export const ARCHES: Record<"x86_32" | "x86_64" | "arm32" | "arm64", Architecture> = {
  x86_32: new X86_32Architecture(X86_32_REGISTERS),
  x86_64: new X86_64Architecture(X86_64_REGISTERS),
  arm32: new Arm32Architecture(ARM32_REGISTERS),
  arm64: new Arm64Architecture(ARM64_REGISTERS),
};

export const abiOf = (id: keyof typeof ARCHES): HypercallAbi => ARCHES[id].hypercallAbi!;
