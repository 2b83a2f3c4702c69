import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
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

/**
 * Read a whole input file once. The returned bytes are the Buffer's own memory
 * (no copy); parsers take views of it and segments refer back to the path.
 */
export function readInput(path: string): ImageInput {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new FileAccessError(path, "is a directory, not a file");
    size = st.size;
  } catch (cause) {
    if (cause instanceof FileAccessError) throw cause;
    throw new FileAccessError(path, describe(cause), { cause });
  }
  try {
    const buf = readFileSync(path);
    if (buf.length !== size) throw new FileAccessError(path, "changed size while being read");
    return { path, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  } catch (cause) {
    if (cause instanceof FileAccessError) throw cause;
    throw new FileAccessError(path, describe(cause), { cause });
  }
}

/** Write `bytes` to `path` atomically: a temporary file beside it, fsync, then rename over. */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o644): void {
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
