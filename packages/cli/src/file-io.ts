import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HandoffError, type ImageInput } from "@handoff/core";

/** A file that cannot be read or written (missing, a directory, no permission). */
export class FileAccessError extends HandoffError {
  readonly code = "E_IO";
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** Largest input file read unless a command says otherwise (kernels and initrds stay well below). */
export const DEFAULT_MAX_INPUT_BYTES = 512 * 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Read a whole regular input file, bounded: opened non-blocking (a FIFO never
 * hangs the open), checked to be a regular, non-empty file of at most
 * `maxBytes` before anything is allocated, then read to exactly its size.
 * Devices (`/dev/zero`), FIFOs, sockets and directories are refused by name.
 * The returned bytes are the Buffer's own memory; segments refer back to the path.
 */
export function readInput(path: string, options: { readonly what?: string; readonly maxBytes?: number } = {}): ImageInput {
  const what = options.what ?? "input";
  const max = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (cause) {
    throw new FileAccessError(path, `cannot read the ${what}: ${describe(cause)}`, { cause });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileAccessError(path, `the ${what} is ${kindOf(st)}, not a regular file`);
    if (st.size === 0) throw new FileAccessError(path, `the ${what} is an empty file`);
    if (st.size > max) throw new FileAccessError(path, `the ${what} is ${st.size} bytes, more than the ${max} this command reads`);
    const buf = Buffer.allocUnsafe(st.size);
    let done = 0;
    while (done < st.size) {
      const n = readSync(fd, buf, done, st.size - done, done);
      if (n === 0) throw new FileAccessError(path, `the ${what} shrank while being read (${done} of ${st.size} bytes)`);
      done += n;
    }
    return { path, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  } catch (cause) {
    if (cause instanceof FileAccessError) throw cause;
    throw new FileAccessError(path, `cannot read the ${what}: ${describe(cause)}`, { cause });
  } finally {
    closeSync(fd);
  }
}

/** The size of a regular, non-empty input file (an initrd streamed later), with the same refusals as {@link readInput}. */
export function inputFileSize(path: string, what: string): number {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (cause) {
    throw new FileAccessError(path, `cannot read the ${what}: ${describe(cause)}`, { cause });
  }
  if (!st.isFile()) throw new FileAccessError(path, `the ${what} is ${kindOf(st)}, not a regular file`);
  if (st.size === 0) throw new FileAccessError(path, `the ${what} is an empty file`);
  return st.size;
}

/**
 * The rule for output paths: a target that exists must be a regular file. A
 * device node, FIFO, socket, directory or symlink is refused, never replaced
 * (renaming over `/dev/null` as root would break the machine).
 */
export function refuseNonRegularTarget(path: string): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return; // nothing there yet
  }
  if (st.isSymbolicLink()) throw new FileAccessError(path, "is a symlink; handoff writes only new or regular files (give the link's target)");
  if (!st.isFile()) throw new FileAccessError(path, `is ${kindOf(st)}; handoff writes only new or regular files`);
}

/** Write `bytes` to `path` atomically: a temporary file beside it, fsync, then rename over. */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o644): void {
  refuseNonRegularTarget(path);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may not exist; nothing else to undo
    }
    throw new FileAccessError(path, `cannot write: ${describe(cause)}`, { cause });
  }
}

function describe(cause: unknown): string {
  const e = cause as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file";
  if (e?.code === "EACCES") return "permission denied";
  if (e?.code === "EISDIR") return "is a directory, not a file";
  return e?.message?.split("\n")[0] ?? String(cause);
}
