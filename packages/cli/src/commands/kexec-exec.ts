import { defineCommand } from "../cli/command.js";
import { kexecRunCommand } from "./kexec-live.js";
import { KEXEC_COMMON_OPTIONS, KEXEC_GUARD_NOTE, kexecCommon } from "./kexec-options.js";

/** `handoff kexec exec` */
export const command = defineCommand({
  options: { ...KEXEC_COMMON_OPTIONS },
  notes: ["Starts the loaded kernel now (reboot(LINUX_REBOOT_CMD_KEXEC)): nothing after it runs.", KEXEC_GUARD_NOTE],
  run: async ({ values }, context) => kexecRunCommand(await context.architectures(), kexecCommon(values), "exec", false),
});
