import { defineCommand } from "../cli/command.js";
import { kexecRunCommand } from "./kexec-live.js";
import { KEXEC_COMMON_OPTIONS, KEXEC_GUARD_NOTE, kexecCommon } from "./kexec-options.js";

/** `handoff kexec unload` */
export const command = defineCommand({
  options: {
    file: { type: "boolean", help: "unload what kexec_file_load loaded" },
    crash: { type: "boolean", help: "unload the crash (capture) kernel instead of the normal image" },
    ...KEXEC_COMMON_OPTIONS,
  },
  notes: [KEXEC_GUARD_NOTE],
  run: async ({ values }, context) => kexecRunCommand(await context.architectures(), kexecCommon(values), "unload", values.file, values.crash),
});
