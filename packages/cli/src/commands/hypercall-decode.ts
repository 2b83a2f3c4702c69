import { defineCommand } from "../cli/command.js";
import { hypercallDecode } from "./hypercall.js";
import { HYPERCALL_COMMON } from "./hypercall-options.js";

/** `handoff hypercall decode` */
export const command = defineCommand({
  options: {
    ...HYPERCALL_COMMON,
    reg: { type: "string", multiple: true, value: "NAME=VALUE", help: "a register as the hypervisor saw it" },
    struct: { type: "string", value: "FILE", help: "bytes of the struct the call's handle points at" },
  },
  async run({ values }, context) {
    const loaded = await context.architectures(values.arch);
    return hypercallDecode(loaded, { arch: values.arch, guestMode: values["guest-mode"], reg: values.reg, structFile: values.struct, json: values.json, cwd: context.cwd });
  },
});
