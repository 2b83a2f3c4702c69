/**
 * Per-test temporary directories that are always removed. `tempDir()` creates a
 * fresh directory under os.tmpdir() (the run's private TMPDIR, see
 * scripts/test-guard.ts) and records it; vitest.setup.ts removes every recorded
 * directory after each test file, pass or fail.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { afterEach, beforeEach } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = new Set<string>();

/** A new empty directory `<tmpdir>/handoff-<prefix>XXXXXX`, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `handoff-${prefix.replace(/^handoff-/, "")}`));
  made.add(dir);
  return dir;
}

/** Write `mib` MiB of random bytes to `path` (no structure a chunking bug could hide behind), one MiB at a time. */
export function writeRandomFile(path: string, mib: number): string {
  const fd = openSync(path, "w");
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(1024 * 1024));
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Remove every directory tempDir() made so far (vitest.setup.ts calls this in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

/**
 * A fresh tempDir for each test of the calling file, removed when the test ends
 * (so one test's files never meet the next's): call at the file's top level and
 * read the directory through the returned function inside a test.
 */
export function tempDirPerTest(prefix: string): () => string {
  let dir: string | undefined;
  beforeEach(() => {
    dir = tempDir(prefix);
  });
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    made.delete(dir ?? "");
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error("tempDirPerTest: the directory exists only while a test runs");
    return dir;
  };
}
