import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { REPO_ROOT } from "@handoff/test-support";

/** The built CLI the boot tests run. */
export const BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");

/** A finished run: its output, when the marker came, the exit code. */
export interface Run {
  readonly output: string;
  /** Milliseconds from spawn to the marker line (undefined when it never came). */
  readonly markerMs?: number;
  readonly code: number | null;
}

/**
 * Run a command to completion, noting when `marker` first appears on stdout
 * (or, with `serialFile`, in that file: QEMU writing its console to a file
 * never drops characters when the host is slow to read a pipe).
 */
export function run(command: string, args: readonly string[], marker: string, timeoutMs: number, serialFile?: string): Promise<Run> {
  return new Promise((resolveRun) => {
    const start = Date.now();
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let markerMs: number | undefined;
    const fileText = () => (serialFile && existsSync(serialFile) ? readFileSync(serialFile, "latin1") : "");
    const seen = (text: string) => {
      if (markerMs === undefined && text.includes(marker)) markerMs = Date.now() - start;
    };
    const onData = (d: Buffer) => {
      output += d.toString("latin1");
      if (!serialFile) seen(output);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const poll = serialFile ? setInterval(() => seen(fileText()), 100) : undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      const serial = fileText();
      seen(serial);
      resolveRun({ output: serialFile ? serial + output : output, markerMs, code });
    });
  });
}

/** The lines every successful boot must show, in order. */
export function expectBooted(output: string, cmdline: string, marker: string): void {
  expect(output).toMatch(/Linux version \d+\.\d+/);
  const reported = /Kernel command line: (.*)\r?\n/.exec(output);
  expect(reported?.[1]).toBe(cmdline);
  expect(output).toContain(`HANDOFF-MARKER: ${marker}`);
  expect(output).toContain("reboot: Power down");
  expect(output.indexOf("Linux version")).toBeLessThan(output.indexOf(`HANDOFF-MARKER: ${marker}`));
  expect(output.indexOf(`HANDOFF-MARKER: ${marker}`)).toBeLessThan(output.indexOf("reboot: Power down"));
}

