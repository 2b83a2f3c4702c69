import { HandoffError } from "@handoff/core";
import { loadArchitecturesFor, type BuiltinArches, type ImportFromDisk } from "./architectures.js";
import type { CommandContext, Io } from "./cli/command.js";
import { parseCommandLine, renderHelp } from "./cli/option-table.js";
import { UsageError } from "./cli/usage-error.js";
import { COMMANDS, type CommandEntry } from "./commands/index.js";
import { VERSION } from "./version.js";

export { UsageError, type Io };

/** How the CLI runs besides argv and io: bundled arches, progress output. */
export interface MainOptions {
  /** The architectures bundled into the single-file CLI. */
  readonly builtins?: BuiltinArches;
  /** Imports a plugin from disk by file URL; default `import()` (see bundle-entry.ts). */
  readonly importFromDisk?: ImportFromDisk;
  /** Where long work reports progress (a TTY's stderr), or nowhere. */
  readonly progress?: (line: string) => void;
  /** Raw streamed output (serial console); default: `io.out`. */
  readonly stream?: (text: string) => void;
}

/** `handoff --help`: every command and group with its summary. */
export function usage(entries: readonly CommandEntry[] = COMMANDS, prefix = "handoff"): string {
  const width = Math.max(...entries.map((e) => e.name.length));
  return [
    `usage: ${prefix} <command> [options]`,
    "",
    "commands:",
    ...entries.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`),
    "",
    `Run '${prefix} <command> --help' for a command's options; every command takes --json.`,
    ...(prefix === "handoff" ? ["", "global options:", "  --version   print the version", "  --help, -h  this text"] : []),
  ].join("\n");
}

/** The usage text `handoff` prints when run with no command or with `--help`. */
export const USAGE = usage();

/** Run the CLI; returns the exit code (0 ok, 1 bad input, 2 usage, 70 internal fault). Never throws. */
export async function main(argv: readonly string[], io: Io, options: MainOptions = {}): Promise<number> {
  const running = { command: undefined as string | undefined };
  try {
    return await dispatch(argv, io, options, running);
  } catch (error) {
    return report(error, io, running.command);
  }
}

async function dispatch(argv: readonly string[], io: Io, options: MainOptions, running: { command?: string }): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V") return print(io, VERSION, 0);
  if (first === undefined || first === "-h" || first === "--help" || first === "help") return print(io, USAGE, first === undefined ? 2 : 0);
  let entry = COMMANDS.find((c) => c.name === first);
  let name = first;
  let args = rest;
  if (entry?.subcommands) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || sub === "--help" || sub === "-h") return print(io, usage(entry.subcommands, `handoff ${first}`), sub === undefined ? 2 : 0);
    entry = entry.subcommands.find((c) => c.name === sub) ?? fail(new UsageError(`${first}: unknown subcommand '${sub}' (expected ${entry.subcommands.map((c) => c.name).join(", ")})`, first));
    name = `${first} ${sub}`;
    args = subArgs;
  }
  if (entry?.load === undefined) throw new UsageError(`unknown command '${first}'`);
  running.command = name;
  const digestThread = entry.digestThread?.(args) === true ? (await import("@handoff/node")).DigestWorker.start() : undefined;
  try {
    const command = await entry.load();
    const parsed = parseCommandLine(name, command, args);
    if (parsed.values.help) return print(io, renderHelp(name, entry.summary, command), 0);
    const result = await command.run(parsed, { ...context(io, parsed.values.plugin, options), ...(digestThread ? { digestThread } : {}) });
    const { text, code = 0 } = typeof result === "string" ? { text: result } : result;
    return text === "" ? code : print(io, text, code);
  } finally {
    await digestThread?.close();
  }
}

function context(io: Io, plugins: readonly string[], options: MainOptions): CommandContext {
  return {
    io,
    cwd: io.cwd,
    architectures: (arch) => loadArchitecturesFor({ cwd: io.cwd, arch, extraPlugins: plugins, builtins: options.builtins, importFromDisk: options.importFromDisk, warn: io.err }),
    progress: options.progress ?? (() => {}),
    stream: options.stream ?? io.out,
  };
}

function print(io: Io, text: string, code: number): number {
  io.out(text);
  return code;
}

function fail(error: Error): never {
  throw error;
}

/** One line on stderr and the exit code: 2 usage, 1 bad input, 70 (with a hint) for real internal faults. */
function report(error: unknown, io: Io, running: string | undefined): number {
  if (error instanceof UsageError) {
    const command = error.command ?? running;
    io.err(`handoff: ${error.message} (try 'handoff ${command === undefined ? "" : `${command} `}--help')`);
    return 2;
  }
  if (error instanceof HandoffError) {
    io.err(`handoff: ${error.message.split("\n")[0]}`);
    return 1;
  }
  const e = error as Error | undefined;
  const message = e instanceof Error ? e.message : String(error);
  io.err(`handoff: internal error: ${message}${process.env.HANDOFF_DEBUG ? `\n${e?.stack ?? ""}` : " (set HANDOFF_DEBUG=1 for a trace)"}`);
  return 70;
}
