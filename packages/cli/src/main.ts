import { parseArgs } from "node:util";
import { HandoffError } from "@handoff/core";
import { archsCommand } from "./commands/archs.js";
import { planCommand } from "./commands/plan.js";
import { loadArchitectures } from "./container.js";

export const USAGE = `usage: handoff <command> [options]

commands:
  archs [--json]            installed architectures, their registers and widths
  plan --arch A --kernel K [--initrd I] [--cmdline C] [--memory SIZE | --memmap FILE]
       [--kernel-format raw --load-addr ADDR [--entry ADDR]] [--load-addr BASE] [--use-zero] [--json]
                            segments with destinations and the kexec relocation list

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
      case "plan": {
        const { values, positionals } = parse(rest, {
          arch: { type: "string" },
          kernel: { type: "string" },
          "kernel-format": { type: "string" },
          "load-addr": { type: "string" },
          entry: { type: "string" },
          initrd: { type: "string" },
          cmdline: { type: "string" },
          memory: { type: "string" },
          memmap: { type: "string" },
          "use-zero": { type: "boolean" },
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
        });
        if (positionals.length > 0) throw new UsageError(`plan: unexpected argument '${positionals[0]}'`);
        if (typeof values.arch !== "string") throw new UsageError("plan: --arch is required");
        if (typeof values.kernel !== "string") throw new UsageError("plan: --kernel is required");
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const str = (v: unknown) => (typeof v === "string" ? v : undefined);
        io.out(
          planCommand(
            {
              arch: loaded.registry.get(values.arch),
              kernel: values.kernel,
              kernelFormat: str(values["kernel-format"]),
              loadAddr: str(values["load-addr"]),
              entry: str(values.entry),
              initrd: str(values.initrd),
              cmdline: str(values.cmdline),
              memory: str(values.memory),
              memmap: str(values.memmap),
              useZero: values["use-zero"] === true,
              cwd: io.cwd,
            },
            values.json === true,
          ),
        );
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
