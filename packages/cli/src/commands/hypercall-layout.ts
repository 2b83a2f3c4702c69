import { defineCommand } from "../cli/command.js";
import { hypercallLayout } from "./hypercall.js";
import { HYPERCALL_COMMON } from "./hypercall-options.js";

/** `handoff hypercall layout` */
export const command = defineCommand({
  positionals: { synopsis: "[STRUCT...]", min: 0, max: 64 },
  options: { ...HYPERCALL_COMMON },
  async run({ values, positionals }, context) {
    const loaded = await context.architectures(values.arch);
    return hypercallLayout(loaded, positionals, { arch: values.arch, guestMode: values["guest-mode"], json: values.json, cwd: context.cwd });
  },
});
