import { arm32Architecture } from "@handoff/arm32";
import { arm64Architecture } from "@handoff/arm64";
import { x86_32Architecture } from "@handoff/x86_32";
import { x86_64Architecture } from "@handoff/x86_64";

/** The arch packages' own register models: the parser fills their register files. */
export const ARCHS = {
  arm64: arm64Architecture,
  arm32: arm32Architecture,
  x86_32: x86_32Architecture,
  x86_64: x86_64Architecture,
};
