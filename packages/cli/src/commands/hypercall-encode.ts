import { defineCommand } from "../cli/command.js";
import { hypercallEncode } from "./hypercall.js";
import { HYPERCALL_COMMON } from "./hypercall-options.js";

/** `handoff hypercall encode` */
export const command = defineCommand({
  positionals: { synopsis: "CALL [COMMAND] [VALUE...]", min: 1, max: 8 },
  options: {
    ...HYPERCALL_COMMON,
    image: { type: "string", value: "FILE", help: "kexec_op load: the image whose segments are described" },
    "load-addr": { type: "string", value: "ADDR", help: "kexec_op load: base of a relocatable image, or where a raw one goes" },
    entry: { type: "string", value: "ADDR", help: "kexec_op load: entry of a raw image (default: --load-addr)" },
    "buffer-addr": { type: "string", value: "ADDR", help: "kexec_op load: guest address of the structs (default 0x100000)" },
    crash: { type: "boolean", help: "kexec_op load: KEXEC_TYPE_CRASH instead of DEFAULT" },
  },
  async run({ values, positionals }, context) {
    const loaded = await context.architectures(values.arch);
    return hypercallEncode(loaded, positionals, {
      arch: values.arch,
      guestMode: values["guest-mode"],
      image: values.image,
      loadAddr: values["load-addr"],
      entry: values.entry,
      bufferAddr: values["buffer-addr"],
      crash: values.crash,
      json: values.json,
      cwd: context.cwd,
    });
  },
});
