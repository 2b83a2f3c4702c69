import { Arm32Architecture, ARM32_REGISTERS } from "@handoff/arm32";
import { Arm64Architecture, ARM64_REGISTERS } from "@handoff/arm64";
import { X86_32Architecture, X86_32_REGISTERS } from "@handoff/x86_32";
import { X86_64Architecture, X86_64_REGISTERS } from "@handoff/x86_64";

/** The arch packages' own register models: the parser fills their register files. */
export const ARCHS = {
  arm64: new Arm64Architecture(ARM64_REGISTERS),
  arm32: new Arm32Architecture(ARM32_REGISTERS),
  x86_32: new X86_32Architecture(X86_32_REGISTERS),
  x86_64: new X86_64Architecture(X86_64_REGISTERS),
};
