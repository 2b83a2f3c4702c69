import type { DigestWorker } from "@handoff/node";
import type { LoadedArchitectures } from "../container.js";
import type { CommandSpec, OptionTable, Values } from "./option-table.js";

/** Where the CLI writes and what it resolves relative paths against (injected so tests can capture output). */
export interface Io {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  readonly cwd: string;
}

/** What a command's run() gets besides its parsed arguments. */
export interface CommandContext {
  readonly io: Io;
  readonly cwd: string;
  /** The installed architectures; with `arch`, only the package that provides it is imported. */
  readonly architectures: (arch?: string) => Promise<LoadedArchitectures>;
  /** Raw output as it arrives (a guest's serial console), no newline added. */
  readonly stream: (text: string) => void;
  /** Progress lines for long work, shown only on a terminal. */
  readonly progress: (line: string) => void;
  /** A segment-digest thread the CLI started before loading the command (see `CommandEntry.digestThread`); the CLI closes it. */
  readonly digestThread?: DigestWorker;
}

/** What a command prints and its exit code (0 unless the command says otherwise). */
export interface CommandResult {
  readonly text: string;
  readonly code?: number;
}

/** A command: its option table (with help text) and one run that calls the library and renders. */
export interface Command<T extends OptionTable = OptionTable> extends CommandSpec<T> {
  /** Calls the library with the parsed arguments and renders its result. */
  run(args: { readonly values: Values<T>; readonly positionals: readonly string[] }, context: CommandContext): Promise<CommandResult | string> | CommandResult | string;
}

/** Declare a command; the identity function that makes `values` typed from the table. */
export function defineCommand<const T extends OptionTable>(command: Command<T>): Command<T> {
  return command;
}
