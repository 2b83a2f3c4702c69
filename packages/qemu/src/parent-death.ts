import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

let setpriv: string | null | undefined;

function which(name: string): string | null {
  if (name.includes("/")) return executable(name) ? name : null;
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(delimiter)) {
    const file = join(dir, name);
    if (executable(file)) return file;
  }
  return null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command line that runs `binary args` so it dies with handoff: through
 * util-linux `setpriv --pdeathsig KILL`, which sets PR_SET_PDEATHSIG and execs
 * (same pid), so even a SIGKILLed handoff, which runs no exit handler, takes
 * QEMU with it. Node has no prctl of its own; without setpriv (not Linux, or
 * util-linux missing) the exit/signal handlers are the only guard.
 */
export function dieWithParent(binary: string, args: readonly string[]): { command: string; args: string[]; guarded: boolean } {
  setpriv ??= process.platform === "linux" ? which("setpriv") : null;
  // A missing emulator is reported by spawn itself (ENOENT), not by setpriv's exit status.
  if (setpriv === null || which(binary) === null) return { command: binary, args: [...args], guarded: false };
  return { command: setpriv, args: ["--pdeathsig", "KILL", "--", binary, ...args], guarded: true };
}
