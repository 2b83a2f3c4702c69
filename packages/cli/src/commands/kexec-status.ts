import { defineCommand } from "../cli/command.js";
import { kexecStatusCommand } from "./kexec-live.js";
import { KEXEC_COMMON_OPTIONS, kexecCommon } from "./kexec-options.js";

/** `handoff kexec status` */
export const command = defineCommand({
  options: { ...KEXEC_COMMON_OPTIONS },
  run: ({ values }) => kexecStatusCommand(kexecCommon(values)),
});
