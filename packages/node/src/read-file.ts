/**
 * Bounded input reading. Every file handoff reads goes through here: it is
 * opened without blocking (a FIFO with no writer cannot hang the open), checked
 * with fstat on the open descriptor (no race with a rename), refused unless it
 * is a regular file within the configured limit, and only then read — into a
 * buffer of the size fstat reported, never more.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import type { ImageInput } from "@handoff/core";
import { FileAccessError, fileKind, fromSystemError } from "./file-errors.js";

/** Limits and labels of one read. */
export interface ReadLimits {
  /** Largest file accepted, in bytes. Required: no read is unbounded. */
  readonly maxBytes: number;
  /** What the file is for, for messages (`kernel`, `initrd`, `DTB`). Default `input`. */
  readonly role?: string;
  /** Accept an empty file (default: refuse it with a message that says so). */
  readonly allowEmpty?: boolean;
}

/**
 * Read a whole regular file of at most `limits.maxBytes` bytes. Directories,
 * devices (`/dev/zero`, `/dev/urandom`), FIFOs and sockets are refused at once
 * with a `FileAccessError` naming the path and what it is; so are empty files
 * (unless allowed), larger files, and files that grow while being read.
 */
export function readFileBounded(path: string, limits: ReadLimits): ImageInput {
  const role = limits.role ?? "input";
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < 0) {
    throw new FileAccessError(path, role, "io", `read limit ${String(limits.maxBytes)} is not a byte count`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer. O_NOCTTY: a terminal never becomes ours.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (cause) {
    throw fromSystemError(path, role, "open it", cause);
  }
  try {
    const st = fstatSync(fd);
    checkRegularFile(path, role, st, limits);
    const bytes = new Uint8Array(st.size);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, null);
      if (n === 0) throw new FileAccessError(path, role, "changed", `shrank while being read (${done} of ${st.size} bytes)`);
      done += n;
    }
    if (readSync(fd, new Uint8Array(1), 0, 1, null) !== 0) throw new FileAccessError(path, role, "changed", "grew while being read");
    return { path, bytes };
  } catch (cause) {
    if (cause instanceof FileAccessError) throw cause;
    throw fromSystemError(path, role, "read it", cause);
  } finally {
    closeSync(fd);
  }
}

/**
 * The size of a regular file of at most `limits.maxBytes` bytes, with the same
 * refusals as {@link readFileBounded}, without reading it: for a file that is
 * streamed later (an initrd copied into an artefact piece by piece).
 */
export function regularFileSize(path: string, limits: ReadLimits): number {
  const role = limits.role ?? "input";
  let st: Stats;
  try {
    st = statSync(path);
  } catch (cause) {
    throw fromSystemError(path, role, "inspect it", cause);
  }
  checkRegularFile(path, role, st, limits);
  return st.size;
}

/** Throws unless `st` is a regular file, non-empty (unless allowed) and within the limit. */
function checkRegularFile(path: string, role: string, st: Stats, limits: ReadLimits): void {
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < 0) {
    throw new FileAccessError(path, role, "io", `read limit ${String(limits.maxBytes)} is not a byte count`);
  }
  if (st.isDirectory()) throw new FileAccessError(path, role, "directory", "is a directory, not a regular file");
  if (!st.isFile()) throw new FileAccessError(path, role, "not-regular", `is ${fileKind(st)}, not a regular file`);
  if (st.size === 0 && !limits.allowEmpty) throw new FileAccessError(path, role, "empty", "is an empty file (0 bytes)");
  if (st.size > limits.maxBytes) {
    throw new FileAccessError(path, role, "too-large", `is ${st.size} bytes, more than the ${limits.maxBytes} accepted`);
  }
}
