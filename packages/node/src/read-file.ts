/**
 * Bounded input reading. Every file handoff reads goes through here: it is
 * opened without blocking (a FIFO with no writer cannot hang the open), checked
 * with fstat on the open descriptor (no race with a rename), refused unless it
 * is a regular file within the configured limit, and only then read — into a
 * buffer of the size fstat reported, never more.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
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
  const { fd, size } = openRegularFile(path, role, limits);
  try {
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, null);
      if (n === 0) throw new FileAccessError(path, role, "changed", `shrank while being read (${done} of ${size} bytes)`);
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
 * Open `path` for reading and check it on the open descriptor: a regular file,
 * non-empty unless allowed, at most `maxBytes` (when given). The caller closes `fd`.
 */
export function openRegularFile(path: string, role: string, limits: { readonly maxBytes?: number; readonly allowEmpty?: boolean } = {}): { fd: number; size: number } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer. O_NOCTTY: a terminal never becomes ours.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (cause) {
    throw fromSystemError(path, role, "open it", cause);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FileAccessError(path, role, "directory", "is a directory, not a regular file");
    if (!st.isFile()) throw new FileAccessError(path, role, "not-regular", `is ${fileKind(st)}, not a regular file`);
    if (st.size === 0 && !limits.allowEmpty) throw new FileAccessError(path, role, "empty", "is an empty file (0 bytes)");
    if (limits.maxBytes !== undefined && st.size > limits.maxBytes) {
      throw new FileAccessError(path, role, "too-large", `is ${st.size} bytes, more than the ${limits.maxBytes} accepted`);
    }
    return { fd, size: st.size };
  } catch (cause) {
    closeSync(fd);
    if (cause instanceof FileAccessError) throw cause;
    throw fromSystemError(path, role, "check it", cause);
  }
}

/**
 * The size of a regular file of at most `limits.maxBytes` bytes, with the same
 * refusals as {@link readFileBounded}, without reading it: for a file that is
 * streamed later (an initrd copied into an artefact piece by piece).
 */
export function regularFileSize(path: string, limits: ReadLimits): number {
  const { fd, size } = openRegularFile(path, limits.role ?? "input", limits);
  closeSync(fd);
  return size;
}

/**
 * Run `fn` with random access to a regular file of any size (a crash dump is as
 * large as the crashed machine's RAM): `readAt` reads exactly `size` bytes at
 * `offset`, at most `maxRead` per call, and the file is closed when `fn` returns.
 */
export function withRandomAccessFile<T>(
  path: string,
  role: string,
  fn: (file: { readonly path: string; readonly size: bigint; readAt(offset: bigint, size: number): Uint8Array }) => T,
  maxRead = 64 * 1024 * 1024,
): T {
  const { fd, size } = openRegularFile(path, role);
  try {
    const readAt = (offset: bigint, n: number): Uint8Array => {
      if (!Number.isSafeInteger(n) || n < 0 || n > maxRead) throw new FileAccessError(path, role, "too-large", `a read of ${n} bytes exceeds the ${maxRead}-byte limit`);
      if (offset < 0n || offset + BigInt(n) > BigInt(size)) throw new FileAccessError(path, role, "changed", `${n} bytes at 0x${offset.toString(16)} run past its end (${size} bytes)`);
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, out, done, n - done, Number(offset) + done);
        if (got === 0) throw new FileAccessError(path, role, "changed", `shrank while being read (at 0x${(Number(offset) + done).toString(16)})`);
        done += got;
      }
      return out;
    };
    return fn({ path, size: BigInt(size), readAt });
  } catch (cause) {
    // System errors (errno set) become FileAccessErrors; the callback's own errors pass through.
    if (cause instanceof Error && typeof (cause as NodeJS.ErrnoException).errno === "number") throw fromSystemError(path, role, "read it", cause);
    throw cause;
  } finally {
    closeSync(fd);
  }
}
