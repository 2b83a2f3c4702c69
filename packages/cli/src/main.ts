import { parseArgs } from "node:util";
import { HandoffError } from "@handoff/core";
import { archsCommand } from "./commands/archs.js";
import { hypercallDecode, hypercallEncode, hypercallLayout } from "./commands/hypercall.js";
import { loadArchitectures } from "./container.js";

export const USAGE = `usage: handoff <command> [options]

commands:
  archs [--json]            installed architectures, their registers and widths
  hypercall encode --arch A [--guest-mode 32|64] CALL [COMMAND] [VALUE...]
            [--image FILE [--load-addr ADDR] [--entry ADDR] [--buffer-addr ADDR (default 0x100000)] [--crash]]
                            Xen hypercall registers and in-memory structs (kexec_op load --image FILE)
  hypercall decode --arch A [--guest-mode 32|64] --reg NAME=VALUE... [--struct FILE]
                            read a hypercall from registers with the width rules
  hypercall layout --arch A [--guest-mode 32|64] [STRUCT...]
                            C layout of Xen's structs for the arch

global options:
  --plugin NAME             load an extra architecture package (repeatable)
  --json                    machine-readable output
  -h, --help                this text`;

/** A command-line mistake: printed as one line with the usage hint. */
export class UsageError extends HandoffError {
  readonly code = "E_USAGE";
  constructor(message: string) {
    super(message);
  }
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd: string;
}

/** Run the CLI; returns the exit code. Never throws for user mistakes. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    switch (command) {
      case "archs": {
        const { values } = parse(rest, { json: { type: "boolean" }, plugin: { type: "string", multiple: true } });
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        io.out(archsCommand(loaded, values.json === true));
        return 0;
      }
      case "hypercall": {
        const { values, positionals } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          arch: { type: "string" },
          "guest-mode": { type: "string" },
          image: { type: "string" },
          "load-addr": { type: "string" },
          entry: { type: "string" },
          "buffer-addr": { type: "string" },
          crash: { type: "boolean" },
          reg: { type: "string", multiple: true },
          struct: { type: "string" },
        });
        const [sub, ...args] = positionals;
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const options = {
          arch: values.arch as string | undefined,
          guestMode: values["guest-mode"] as string | undefined,
          image: values.image as string | undefined,
          loadAddr: values["load-addr"] as string | undefined,
          entry: values.entry as string | undefined,
          bufferAddr: values["buffer-addr"] as string | undefined,
          crash: values.crash === true,
          reg: values.reg as string[] | undefined,
          structFile: values.struct as string | undefined,
          json: values.json === true,
          cwd: io.cwd,
        };
        if (sub === "encode") io.out(hypercallEncode(loaded, args, options));
        else if (sub === "decode") io.out(hypercallDecode(loaded, options));
        else if (sub === "layout") io.out(hypercallLayout(loaded, args, options));
        else throw new UsageError(`hypercall: expected encode, decode or layout, got '${sub ?? ""}'`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}' (try 'handoff --help')`);
    }
  } catch (error) {
    if (error instanceof HandoffError) {
      io.err(`handoff: ${error.message}`);
      return error instanceof UsageError ? 2 : 1;
    }
    const e = error as Error;
    io.err(`handoff: internal error: ${e?.message ?? String(error)}${process.env.HANDOFF_DEBUG ? `\n${e?.stack}` : " (set HANDOFF_DEBUG=1 for a trace)"}`);
    return 70;
  }
}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

/** parseArgs with its errors turned into one-line usage errors. */
function parse<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError((cause as Error).message.split("\n")[0] ?? "bad arguments");
  }
}
