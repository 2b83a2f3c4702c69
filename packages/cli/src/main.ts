import { parseArgs } from "node:util";
import { HandoffError } from "@handoff/core";
import { archsCommand } from "./commands/archs.js";
import { bootCommand } from "./commands/boot.js";
import { buildCommand } from "./commands/build.js";
import { loadArchitectures } from "./container.js";

export const USAGE = `usage: handoff <command> [options]

commands:
  archs [--json]            installed architectures, their registers and widths
  build --arch A [--protocol P] (--kernel FLAT | --probe) --out DIR [--vmm-selectors]
        [--entry-mode el1|el2|svc|hyp] [--json]
                            bootable artefact (x86: PVH ELF; arm: loader blobs) + plan.json
  boot --arch A [--protocol P] (--kernel FLAT | --probe) [--timeout S] [--no-native] [--json]
  build|boot --arch A --kernel LINUX [--initrd FILE] [--cmdline TEXT] [--protocol linux|pvh]
                            a real kernel (bzImage, arm64 Image, zImage) through handoff's stub
                            build and run in qemu-system-*; --probe compares every register
                            with the promised hand-off state and lists QEMU's own leftovers

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
      case "build":
      case "boot": {
        const { values } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          arch: { type: "string" },
          protocol: { type: "string" },
          kernel: { type: "string" },
          probe: { type: "boolean" },
          "vmm-selectors": { type: "boolean" },
          "entry-mode": { type: "string" },
          out: { type: "string" },
          timeout: { type: "string" },
          "no-native": { type: "boolean" },
          initrd: { type: "string" },
          cmdline: { type: "string" },
        });
        if (!values.arch) throw new UsageError(`${command} needs --arch`);
        if (!values.kernel && values.probe !== true) throw new UsageError(`${command} needs --kernel FILE or --probe`);
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const common = {
          arch: values.arch as string,
          protocol: values.protocol as string | undefined,
          kernel: values.kernel as string | undefined,
          probe: values.probe === true,
          vmmSelectors: values["vmm-selectors"] === true,
          entryMode: values["entry-mode"] as string | undefined,
          json: values.json === true,
          initrd: values.initrd as string | undefined,
          cmdline: values.cmdline as string | undefined,
        };
        if (command === "build") {
          if (!values.out) throw new UsageError("build needs --out DIR");
          io.out(buildCommand(loaded, { ...common, out: values.out as string }, io.cwd));
          return 0;
        }
        const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) throw new UsageError("--timeout must be a number of seconds in (0, 3600]");
        const r = await bootCommand(loaded, { ...common, timeout, native: values["no-native"] !== true }, io.cwd, {
          write: (s) => process.stdout.write(s),
          // Progress only on a terminal: pipes and --json stay clean.
          progress: process.stderr.isTTY ? (s) => process.stderr.write(`${s}\n`) : undefined,
        });
        if (r.text) io.out(r.text);
        return r.ok ? 0 : 1;
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
