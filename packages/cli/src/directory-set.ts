import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, readdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { FileAccessError } from "./file-io.js";

/** One file of a set, by name inside the directory. */
export interface SetFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** How many times a concurrent writer may take the target from under us before we give up. */
const MAX_SWAP_ATTEMPTS = 16;

function writeFileDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The rule for `--out DIR`: it may be missing, or a directory a previous build
 * wrote (it holds `marker`), or empty; anything else (a file, a symlink, a device, a
 * directory of other things) is refused, never replaced.
 */
function checkTarget(dir: string, marker: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new FileAccessError(dir, "is a symlink; give the directory itself");
  if (!st.isDirectory()) throw new FileAccessError(dir, "exists and is not a directory");
  if (readdirSync(dir).length > 0 && !existsSync(join(dir, marker))) throw new FileAccessError(dir, `exists and holds no ${marker}: not a handoff artefact directory, not replaced`);
}

/**
 * Write `files` as one set into `dir`: all of them go into a fresh directory
 * beside it (same filesystem), are fsynced, and that directory is renamed into
 * place; a previous set is moved aside first and removed after. A full disk,
 * a signal or a concurrent build therefore leaves either the old set or a new
 * complete one under `dir`, never a mix (a leftover `.NAME.*.tmp` beside it at
 * worst, after SIGKILL). Returns the final paths.
 */
export function writeDirectorySet(dir: string, files: readonly SetFile[], marker: string): string[] {
  checkTarget(dir, marker);
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tag = `${randomBytes(6).toString("hex")}`;
  const staging = join(parent, `.${basename(dir)}.${tag}.tmp`);
  const aside = join(parent, `.${basename(dir)}.${tag}.old`);
  try {
    mkdirSync(staging, { mode: 0o755 });
    for (const f of files) writeFileDurably(join(staging, f.name), f.bytes);
    fsyncDir(staging);
    swapInto(staging, dir, aside, marker);
    fsyncDir(parent);
  } catch (cause) {
    rmSync(staging, { recursive: true, force: true });
    if (cause instanceof FileAccessError) throw cause;
    throw new FileAccessError(dir, `cannot write the artefact set: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
  return files.map((f) => join(dir, f.name));
}

/** rename(staging, dir), moving an earlier set aside; retried while concurrent writers race for `dir`. */
function swapInto(staging: string, dir: string, aside: string, marker: string): void {
  for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
    try {
      renameSync(staging, dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
    }
    checkTarget(dir, marker);
    rmSync(aside, { recursive: true, force: true });
    try {
      renameSync(dir, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e; // another writer moved it first
    }
  }
  throw new FileAccessError(dir, `other builds kept replacing it (${MAX_SWAP_ATTEMPTS} attempts)`);
}
