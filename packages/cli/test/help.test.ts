// Every command in the CLI's own table answers --help (exit 0, its usage and every
// option it declares), so a command added to the table cannot ship without help;
// `handoff --version` prints the package's version.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { COMMANDS, type CommandEntry } from "../src/commands/index.js";

/** Runs `handoff ...argv` in this process; what it printed and its exit code. */
async function handoff(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), cwd: process.cwd() });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const commands: { readonly path: readonly string[]; readonly entry: CommandEntry }[] = COMMANDS.flatMap((e) =>
  e.subcommands ? e.subcommands.map((s) => ({ path: [e.name, s.name], entry: s })) : [{ path: [e.name], entry: e }],
);
const groups = COMMANDS.filter((e) => e.subcommands);

describe("--help for every command in the table", () => {
  it("covers the commands the brief names (the table is what is iterated)", () => {
    const names = commands.map((c) => c.path.join(" "));
    for (const n of ["archs", "inspect", "plan", "pagetable", "build", "boot", "link", "initramfs", "kexec load", "kexec exec", "kexec unload", "kexec status", "hypercall encode", "hypercall decode", "hypercall layout", "xen run"]) {
      expect(names).toContain(n);
    }
  });

  it.each(commands.map((c) => [c.path.join(" "), c] as const))("handoff %s --help: exit 0, its usage, summary and every declared option", async (name, { path, entry }) => {
    for (const flag of ["--help", "-h"]) {
      const r = await handoff(...path, flag);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out.split("\n")[0]).toMatch(new RegExp(`^usage: handoff ${name}( |$)`));
      expect(r.out).toContain(entry.summary);
    }
    const command = await entry.load!();
    const help = (await handoff(...path, "--help")).out;
    for (const option of [...Object.keys(command.options), "json", "help"]) expect(help).toMatch(new RegExp(`^  --${option}\\b`, "m"));
  });

  it.each(groups.map((g) => [g.name, g] as const))("handoff %s --help lists its subcommands (exit 0); with none, usage and exit 2", async (name, group) => {
    const r = await handoff(name, "--help");
    expect(r.code).toBe(0);
    for (const s of group.subcommands!) expect(r.out).toMatch(new RegExp(`^  ${s.name}\\s+${s.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
    expect((await handoff(name)).code).toBe(2);
  });

  it("handoff --help and help list every command; an unknown one is a usage error (exit 2)", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const r = await handoff(...argv);
      expect(r.code).toBe(0);
      for (const e of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${e.name}\\s`, "m"));
    }
    const bad = await handoff("no-such-command", "--help");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^handoff: unknown command 'no-such-command'/);
  });
});

describe("handoff --version", () => {
  it("prints @handoff/cli's version from its package.json", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await handoff(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(pkg.version);
    }
  });
});
