import { HandoffError, type HandoffErrorOptions } from "@handoff/core";

/** What is wrong with a path handoff was asked to read or write. */
export type FileProblem =
  | "missing"
  | "permission"
  | "directory"
  | "not-regular"
  | "symlink"
  | "empty"
  | "too-large"
  | "changed"
  | "not-ours"
  | "io";

/**
 * A file that cannot be read or written as asked: missing, a directory, a
 * device/FIFO/socket where a regular file is needed, empty, larger than the
 * configured limit, or an I/O failure. Names the path, what the file was for
 * and what is wrong, in one line.
 */
export class FileAccessError extends HandoffError {
  readonly code = "E_IO";
  constructor(
    readonly path: string,
    /** What the file is for, e.g. `kernel`, `initrd`, `output`. */
    readonly role: string,
    readonly problem: FileProblem,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${path}: ${role}: ${reason}`, options);
  }
}

/** The kind of a non-regular file, for messages (`a character device`, `a FIFO`). */
export function fileKind(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** A FileAccessError for an operating-system error (`ENOENT`, `EACCES`, ...). */
export function fromSystemError(path: string, role: string, action: string, cause: unknown): FileAccessError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return new FileAccessError(path, role, "missing", "no such file", { cause });
  if (code === "EACCES" || code === "EPERM") return new FileAccessError(path, role, "permission", `permission denied (${action})`, { cause });
  if (code === "EISDIR") return new FileAccessError(path, role, "directory", "is a directory, not a regular file", { cause });
  if (code === "ENOTDIR") return new FileAccessError(path, role, "missing", "a parent of the path is not a directory", { cause });
  const message = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  return new FileAccessError(path, role, "io", `cannot ${action}: ${message}`, { cause });
}
