import { main, type MainOptions } from "./main.js";

const line = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

/** Run `handoff` as this process: argv in, stdout/stderr out, exit code set. */
export async function runAsProcess(options: Omit<MainOptions, "progress" | "stream"> = {}): Promise<void> {
  process.exitCode = await main(
    process.argv.slice(2),
    { out: (text) => process.stdout.write(line(text)), err: (text) => process.stderr.write(line(text)), cwd: process.cwd() },
    // Progress only on a terminal: pipes and --json stay clean.
    { ...options, progress: process.stderr.isTTY ? (s) => process.stderr.write(line(s)) : undefined, stream: (s) => process.stdout.write(s) },
  );
}
