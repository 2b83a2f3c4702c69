/**
 * Writing a set of files as one unit. The files are written into a fresh
 * directory beside the target (same file system), fsync'ed, and the directory
 * is renamed into place. At every instant the target is absent or one
 * complete set, whatever happens: a full disk or a thrown error removes the
 * temporary directory and leaves the target as it was; SIGINT/SIGKILL leave
 * only a temporary directory (named after the dead process, removed by the
 * next writer); concurrent writers each install a whole set, the last rename
 * winning.
 *
 * Replacing an existing directory is allowed only when it is empty or was
 * itself written by this function (it holds the `.handoff-set` marker), so a
 * mistyped `--out $HOME` cannot wipe a user's directory.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { syncDirectory, writeFileAtomic, type WriteSource } from "./atomic-write.js";
import { FileAccessError, fileKind, fromSystemError } from "./file-errors.js";

/** Name of the marker file every set carries: it lists the set's files. */
export const SET_MARKER = ".handoff-set";

/** One file of a set. */
export interface SetFile {
  /** A plain file name (no `/`, not `.` or `..`). */
  readonly name: string;
  readonly source: WriteSource;
  readonly mode?: number;
}

/** Options of {@link writeDirectorySet}. */
export interface DirectorySetOptions {
  /** Copy buffer size for file-backed pieces. */
  readonly chunkSize?: number;
  /** Attempts at installing the set while other writers race for the target (default 64). */
  readonly maxAttempts?: number;
}

/** What was installed. */
export interface DirectorySetResult {
  readonly path: string;
  readonly files: readonly string[];
  readonly bytes: number;
}

const ROLE = "output directory";

/** Write `files` as a set into the directory `target`, atomically (see the module comment). */
export async function writeDirectorySet(target: string, files: readonly SetFile[], options: DirectorySetOptions = {}): Promise<DirectorySetResult> {
  checkNames(target, files);
  await checkReplaceable(target);
  const parent = dirname(target);
  const base = basename(target);
  await removeStale(parent, base);
  const temp = join(parent, `.${base}.handoff-set-${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(temp, { mode: 0o755 });
  } catch (cause) {
    throw fromSystemError(target, ROLE, `create a temporary directory in ${parent}`, cause);
  }
  const moved: string[] = [];
  try {
    let bytes = 0;
    for (const f of files) {
      const r = await writeFileAtomic(join(temp, f.name), f.source, { ...(f.mode === undefined ? {} : { mode: f.mode }), ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }) });
      bytes += r.bytes;
    }
    await writeFile(join(temp, SET_MARKER), JSON.stringify({ files: files.map((f) => f.name) }) + "\n", { mode: 0o644 });
    await syncDirectory(temp);
    await install(temp, target, moved, options.maxAttempts ?? 64);
    await syncDirectory(parent);
    return { path: target, files: files.map((f) => f.name), bytes };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error instanceof FileAccessError ? error : fromSystemError(target, ROLE, "write the set", error);
  } finally {
    for (const old of moved) await rm(old, { recursive: true, force: true });
  }
}

/** rename(temp, target); while another set is in the way, move it aside (it is ours, checked) and retry. */
async function install(temp: string, target: string, moved: string[], maxAttempts: number): Promise<void> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      await rename(temp, target);
      return;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw cause;
    }
    await checkReplaceable(target);
    const aside = join(dirname(target), `.${basename(target)}.handoff-old-${process.pid}-${randomBytes(6).toString("hex")}`);
    try {
      await rename(target, aside);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause; // another writer moved it first
      continue;
    }
    // What was moved is checked again: a directory swapped in since the check above is put back, never deleted.
    const entries = await readdir(aside);
    if (entries.length > 0 && !entries.includes(SET_MARKER)) {
      await rename(aside, target).catch(() => undefined);
      throw new FileAccessError(target, ROLE, "not-ours", `was replaced by a directory handoff did not write (left at ${aside} if it could not be put back)`);
    }
    moved.push(aside);
  }
  throw new FileAccessError(target, ROLE, "changed", `other writers kept replacing it; gave up after ${maxAttempts} attempts`);
}

function checkNames(target: string, files: readonly SetFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    if (f.name === "" || f.name === "." || f.name === ".." || f.name.includes("/") || f.name.includes("\0") || f.name === SET_MARKER) {
      throw new FileAccessError(target, ROLE, "io", `'${f.name}' is not a plain file name for a set member`);
    }
    if (seen.has(f.name)) throw new FileAccessError(target, ROLE, "io", `'${f.name}' is in the set twice`);
    seen.add(f.name);
  }
}

/** Throws unless `target` is absent, an empty directory, or a set written here before. */
async function checkReplaceable(target: string): Promise<void> {
  let st;
  try {
    st = await lstat(target);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return;
    throw fromSystemError(target, ROLE, "inspect it", cause);
  }
  if (st.isSymbolicLink()) throw new FileAccessError(target, ROLE, "symlink", "is a symbolic link; handoff writes a set only into a real directory it can replace");
  if (!st.isDirectory()) throw new FileAccessError(target, ROLE, "not-regular", `is ${st.isFile() ? "a regular file" : fileKind(st)}, not a directory`);
  let entries: string[];
  try {
    entries = await readdir(target);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return; // another writer just moved it aside
    throw fromSystemError(target, ROLE, "list it", cause);
  }
  if (entries.length > 0 && !entries.includes(SET_MARKER)) {
    throw new FileAccessError(target, ROLE, "not-ours", `exists and was not written by handoff (no ${SET_MARKER}); refusing to replace it`);
  }
}

/** Remove temporary and set-aside directories of writers that no longer run (SIGKILL, power loss). */
async function removeStale(parent: string, base: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch (cause) {
    throw fromSystemError(parent, ROLE, "list the parent directory", cause);
  }
  const prefix = `.${base}.handoff-`;
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(?:set|old)-(\d+)-[0-9a-f]{12}$/.exec(name.slice(prefix.length));
    if (m && !processAlive(Number(m[1]))) await rm(join(parent, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
