import { parseArgs } from "node:util";
import { HandoffError } from "@handoff/core";
import { archsCommand } from "./commands/archs.js";
import { loadArchitectures } from "./container.js";
import { pagetableCommand } from "./commands/pagetable.js";

export const USAGE = `usage: handoff <command> [options]

commands:
  archs [--json]            installed architectures, their registers and widths
  pagetable --arch A [--format ID] --map VA:PA:SIZE[:wxud] ... [--policy first-n-gib --gib N | all-ram --memory SIZE]
            [--table-base ADDR] [--page-zero] [--out FILE] [--json]
                            build translation tables, walk them, print root, table pages, registers

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
      case "pagetable": {
        const { values } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          arch: { type: "string" },
          format: { type: "string" },
          map: { type: "string", multiple: true },
          policy: { type: "string" },
          gib: { type: "string" },
          memory: { type: "string" },
          "table-base": { type: "string" },
          "page-zero": { type: "boolean" },
          out: { type: "string" },
        });
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const result = pagetableCommand(loaded, {
          arch: values.arch as string | undefined,
          format: values.format as string | undefined,
          maps: (values.map as string[] | undefined) ?? [],
          policy: values.policy as string | undefined,
          gib: values.gib as string | undefined,
          memory: values.memory as string | undefined,
          tableBase: values["table-base"] as string | undefined,
          pageZero: values["page-zero"] === true,
          out: values.out as string | undefined,
          json: values.json === true,
        });
        io.out(result.output);
        return result.code;
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
