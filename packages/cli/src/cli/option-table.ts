import { parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

/** One option of a command: its type and its help text, declared once. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  /** Placeholder shown in help (`ADDR`, `FILE`); string options only. */
  readonly value?: string;
  readonly help: string;
  /** Missing it is a usage error (exit 2). */
  readonly required?: boolean;
}

/** The options of a command, by long name. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** What a command accepts: its options, its positionals and its help text. */
export interface CommandSpec<T extends OptionTable = OptionTable> {
  /** Positional synopsis for help (`FILE`, `CALL [COMMAND] [VALUE...]`). */
  readonly positionals?: { readonly synopsis: string; readonly min: number; readonly max: number };
  readonly options: T;
  /** Extra paragraphs after the option list. */
  readonly notes?: readonly string[];
}

/** The parsed value of one option: boolean, string list, string, or string when absent. */
export type ValueOf<S extends OptionSpec> = S["type"] extends "boolean" ? boolean : S["multiple"] extends true ? readonly string[] : S["required"] extends true ? string : string | undefined;

/** Parsed values, typed from the table: booleans default to false, multiples to []. */
/** The parsed values of an option table, typed by each option's kind, plus the common ones. */
export type Values<T extends OptionTable> = { readonly [K in keyof T]: ValueOf<T[K]> } & CommonValues;

/** Options every command takes. */
export interface CommonValues {
  readonly json: boolean;
  readonly plugin: readonly string[];
  readonly help: boolean;
}

/** The options shared by every command (added to each table, shown in each help). */
export const COMMON_OPTIONS = {
  json: { type: "boolean", help: "machine-readable output" },
  plugin: { type: "string", multiple: true, value: "NAME", help: "load an extra architecture package or directory (repeatable)" },
  help: { type: "boolean", help: "show this help" },
} as const satisfies OptionTable;

/**
 * Parse `argv` against a command's table with node:util parseArgs (strict);
 * every mistake becomes a one-line UsageError naming the command.
 */
export function parseCommandLine<T extends OptionTable>(name: string, spec: CommandSpec<T>, argv: readonly string[]): { values: Values<T>; positionals: string[] } {
  const table: OptionTable = { ...COMMON_OPTIONS, ...spec.options };
  const options = Object.fromEntries(Object.entries(table).map(([k, o]) => [k, { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(k === "help" ? { short: "h" } : {}) }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`${name}: ${((cause as Error).message.split("\n")[0] ?? "bad arguments").replace(/\. To specify a positional.*$/, "")}`, name);
  }
  const values: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(table)) {
    const v = parsed.values[key];
    values[key] = o.type === "boolean" ? v === true : o.multiple ? ((v as string[] | undefined) ?? []) : v;
  }
  if (values.help === true) return { values: values as Values<T>, positionals: parsed.positionals };
  for (const [key, o] of Object.entries(table)) if (o.required && values[key] === undefined) throw new UsageError(`${name}: --${key} is required`, name);
  const p = spec.positionals ?? { synopsis: "", min: 0, max: 0 };
  const n = parsed.positionals.length;
  if (n > p.max && p.max === 0) throw new UsageError(`${name}: unexpected argument '${parsed.positionals[0]}'`, name);
  if (n > p.max || n < p.min) throw new UsageError(`${name}: expected ${p.min === 1 && p.max === 1 ? `exactly one ${p.synopsis}` : p.synopsis}, got ${n} argument${n === 1 ? "" : "s"}`, name);
  return { values: values as Values<T>, positionals: parsed.positionals };
}

/** `handoff NAME --help`: synopsis, summary, the option table, notes. */
export function renderHelp(name: string, summary: string, spec: CommandSpec): string {
  const table: OptionTable = { ...spec.options, ...COMMON_OPTIONS };
  const flag = (k: string, o: OptionSpec) => `--${k}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
  const required = Object.entries(spec.options).filter(([, o]) => o.required).map(([k, o]) => flag(k, o));
  const synopsis = [`usage: handoff ${name}`, ...required, spec.positionals?.synopsis ?? "", "[options]"].filter((s) => s !== "").join(" ");
  const rows = Object.entries(table).map(([k, o]) => [flag(k, o) + (k === "help" ? ", -h" : ""), `${o.help}${o.multiple && k !== "plugin" ? " (repeatable)" : ""}${o.required ? " (required)" : ""}`] as const);
  const width = Math.min(34, Math.max(...rows.map(([f]) => f.length)));
  const lines = rows.map(([f, h]) => (f.length > width ? `  ${f}\n  ${" ".repeat(width)}  ${h}` : `  ${f.padEnd(width)}  ${h}`));
  return [synopsis, "", summary, "", "options:", ...lines, ...(spec.notes?.length ? ["", ...spec.notes] : [])].join("\n");
}
