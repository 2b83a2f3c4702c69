import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Temp dirs this process made and has not removed yet: removed on exit and on the
// signals that end a process (SIGKILL allows nothing; QEMU then dies by PDEATHSIG).
const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", removeAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      removeAll();
      // Re-raise so the process ends as the signal says, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** A temp dir that a boot owns. */
export interface ScratchDir {
  readonly path: string;
  /** Removes the dir now (otherwise it goes when the process exits). */
  dispose(): void;
}

/** A fresh temp dir under the OS temp dir, removed by `dispose` or, failing that, when the process exits. */
export function scratchDir(prefix: string): ScratchDir {
  hook();
  const path = mkdtempSync(join(tmpdir(), prefix));
  live.add(path);
  return {
    path,
    dispose() {
      live.delete(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Remove a dir made by {@link scratchDir} (or any dir) now and forget it. */
export function disposeScratch(path: string): void {
  live.delete(path);
  rmSync(path, { recursive: true, force: true });
}
