/**
 * vitest globalSetup: fails the run when a test leaves a temp dir or a process behind.
 *
 * Before any test runs it gives the run a private TMPDIR (`<tmp>/handoff-run-XXXXXX`)
 * and marks the environment with HANDOFF_TEST_RUN; workers, the CLI processes tests
 * spawn and the QEMUs those spawn inherit both. After the last test, anything still
 * in the private TMPDIR was left behind by a test or by a command under test, and any
 * live process still carrying the mark (other than vitest's own workers, which are
 * closing) outlived its test. Both are listed, cleaned up, and fail the run.
 */
import { readdirSync, readFileSync, readlinkSync, mkdtempSync, rmSync } from "node:fs";
import { TEST_RUN_ENV, registerTestRun } from "@handoff/node";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MARK = TEST_RUN_ENV;
let runDir = "";
let registration: string | undefined;
let previousTmp: string | undefined;

export function setup(): () => Promise<void> {
  previousTmp = process.env.TMPDIR;
  runDir = mkdtempSync(join(tmpdir(), "handoff-run-"));
  process.env.TMPDIR = runDir;
  process.env[MARK] = runDir;
  // The kexec guard (@handoff/node) refuses real kexec on this machine while the run is registered.
  registration = registerTestRun(process.pid, `${runDir}\n`);
  return teardown;
}

interface Straggler {
  readonly pid: number;
  readonly command: string;
}

/** Live (not zombie) processes whose environment carries this run's mark, except vitest's own. */
function stragglers(): Straggler[] {
  const needle = `${MARK}=${runDir}\0`;
  const out: Straggler[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!(readFileSync(`/proc/${pid}/environ`, "latin1") + "\0").includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean).join(" ");
      // vitest's fork workers are still closing when global teardown runs.
      if (Number(fields[1]) === process.pid && /vitest/.test(command)) continue;
      if (/vitest/.test(command) && /node/.test(readlinkSync(`/proc/${pid}/exe`))) continue;
      out.push({ pid, command });
    } catch {
      // Gone meanwhile, or not ours to read: not a straggler of this run.
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function teardown(): Promise<void> {
  const problems: string[] = [];
  // A process killed by its test's last line may need a moment to exit.
  let left = stragglers();
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await sleep(100);
    left = stragglers();
  }
  for (const p of left) {
    problems.push(`process ${p.pid} outlived its test: ${p.command.slice(0, 200)}`);
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  for (const entry of readdirSync(runDir)) problems.push(`temp entry left behind: ${join(runDir, entry)}`);
  rmSync(runDir, { recursive: true, force: true });
  if (registration) rmSync(registration, { force: true });
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  if (problems.length > 0) {
    const message = `tests left things behind (each test must remove its temp dirs and end its processes):\n  ${problems.join("\n  ")}`;
    console.error(`\n${message}\n`);
    process.exitCode = 1;
    throw new Error(message);
  }
}
