import type { OptionTable } from "../cli/option-table.js";

/** Options every `handoff hypercall` subcommand takes. */
export const HYPERCALL_COMMON = {
  arch: { type: "string", value: "A", required: true, help: "the guest's architecture" },
  "guest-mode": { type: "string", value: "32|64", help: "guest width (AArch32 on arm64, 32-bit guest on x86_64)" },
} as const satisfies OptionTable;
