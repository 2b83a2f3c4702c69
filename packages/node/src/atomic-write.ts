/**
 * Atomic, streaming output files: every artefact handoff writes goes to a
 * temporary file in the target's directory, is fsync'ed, then renamed over the
 * target (rename(2) within one file system replaces the name atomically), and
 * the directory is fsync'ed so the rename itself survives a crash. A failure at
 * any point removes the temporary file and leaves the target as it was: never
 * half-written, never missing if it existed.
 *
 * Content streams: file ranges (a segment's `{path, offset, length}`) are
 * copied through one reused buffer, zero runs from one shared zero chunk, so
 * writing a 512 MiB initrd into an artefact costs a chunk of memory, not 512 MiB.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FormatError, ValidationError, type Segment } from "@handoff/core";
import { FileAccessError, fromSystemError } from "./file-errors.js";
import { checkOutputFile } from "./output-target.js";

/** A piece of an output file. */
export type WritePiece =
  | Uint8Array
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "file"; readonly path: string; readonly offset: number; readonly length: number }
  | { readonly kind: "zero"; readonly length: number };

/** What {@link writeFileAtomic} accepts: a string (UTF-8), bytes, or pieces, possibly produced asynchronously. */
export type WriteSource = string | Uint8Array | Iterable<WritePiece> | AsyncIterable<WritePiece>;

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permission bits of a new file (umask applies). Default 0o644. */
  readonly mode?: number;
  /** Copy buffer size for file ranges. Default 1 MiB. */
  readonly chunkSize?: number;
  /** What the file is for, for messages (`SVG picture`, `linked image`). Default `output`. */
  readonly role?: string;
}

/** What {@link writeFileAtomic} wrote: the final path and the byte count. */
export interface AtomicWriteResult {
  readonly path: string;
  readonly bytes: number;
}

const DEFAULT_COPY_CHUNK = 1024 * 1024;
let zeroChunk: Uint8Array | undefined;

/**
 * Write `source` to `target` atomically (temp file in the same directory,
 * fsync, rename, fsync the directory). On error the temporary file is removed
 * and `target` is untouched; the error is rethrown.
 */
export async function writeFileAtomic(target: string, source: WriteSource, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_COPY_CHUNK;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new ValidationError("atomic write", `chunk size ${chunkSize} is not a positive integer`);
  const role = options.role ?? "output";
  // The output rule (output-target.ts): only a regular file is ever replaced.
  await checkOutputFile(target, role);
  const dir = dirname(target);
  // Same directory => same file system => rename(2) is atomic. `wx` refuses to reuse a stale name.
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fh: FileHandle;
  try {
    fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode ?? 0o644);
  } catch (cause) {
    // ENOENT here is the directory, not the target (which need not exist).
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new FileAccessError(target, role, "missing", `the directory ${dir} does not exist`, { cause });
    throw fromSystemError(target, role, `create a temporary file in ${dir}`, cause);
  }
  let bytes = 0;
  let closed = false;
  try {
    let copyBuffer: Buffer | undefined;
    const write = async (chunk: Uint8Array) => {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done);
        done += bytesWritten;
      }
      bytes += chunk.length;
    };
    for await (const piece of pieces(source)) {
      if (piece instanceof Uint8Array) await write(piece);
      else if (piece.kind === "bytes") await write(piece.bytes);
      else if (piece.kind === "zero") await writeZeros(piece.length, write);
      else {
        copyBuffer ??= Buffer.allocUnsafe(chunkSize);
        await copyRange(piece.path, piece.offset, piece.length, copyBuffer, write);
      }
    }
    await fh.sync();
    closed = true;
    await fh.close();
    // Again just before the rename: the path may have been replaced by a link or a device meanwhile.
    await checkOutputFile(target, role);
    await rename(temp, target);
  } catch (error) {
    if (!closed) await fh.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    // A system error (ENOSPC, EIO, EDQUOT...) becomes one line naming the target; handoff's own errors pass through.
    if (typeof (error as NodeJS.ErrnoException | undefined)?.errno === "number") throw fromSystemError(target, role, "write it", error);
    throw error;
  }
  await syncDirectory(dir);
  return { path: target, bytes };
}

/**
 * The pieces that reproduce a segment's memory image: its buffer, and (with
 * `zeroTail`) the `memsz - bufsz` zero bytes after it.
 */
export function segmentPieces(segment: Segment, { zeroTail = false }: { zeroTail?: boolean } = {}): WritePiece[] {
  const out: WritePiece[] = [];
  const d = segment.data;
  if (d.kind === "bytes") out.push(d.bytes);
  else if (d.kind === "file") out.push({ kind: "file", path: d.path, offset: d.offset, length: d.length });
  if (zeroTail && segment.memsz > segment.bufsz) {
    const tail = segment.memsz - segment.bufsz;
    if (tail > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValidationError(`segment ${segment.name ?? segment.role}`, "zero tail too large to write");
    out.push({ kind: "zero", length: Number(tail) });
  }
  return out;
}

async function* pieces(source: WriteSource): AsyncIterable<WritePiece> {
  if (typeof source === "string") yield Buffer.from(source, "utf8");
  else if (source instanceof Uint8Array) yield source;
  else yield* source as AsyncIterable<WritePiece>;
}

async function writeZeros(length: number, write: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  if (!Number.isSafeInteger(length) || length < 0) throw new ValidationError("atomic write", `zero run of ${length} bytes is not a non-negative integer`);
  zeroChunk ??= new Uint8Array(DEFAULT_COPY_CHUNK);
  let left = length;
  while (left > 0) {
    const n = Math.min(left, zeroChunk.length);
    await write(zeroChunk.subarray(0, n));
    left -= n;
  }
}

async function copyRange(path: string, offset: number, length: number, buffer: Buffer, write: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ValidationError("atomic write", `file range offset ${offset} length ${length} of ${path} is not a non-negative integer pair`);
  }
  let src: FileHandle;
  try {
    src = await open(path, "r");
  } catch (cause) {
    throw new FormatError(path, "file range", "path", undefined, `cannot open: ${(cause as Error).message}`, { cause });
  }
  try {
    const size = (await src.stat()).size;
    if (offset + length > size) {
      throw new FormatError(path, "file range", "length", offset, `range of 0x${length.toString(16)} bytes runs past the end of the 0x${size.toString(16)}-byte file`);
    }
    let position = offset;
    let left = length;
    while (left > 0) {
      const { bytesRead } = await src.read(buffer, 0, Math.min(buffer.length, left), position);
      if (bytesRead === 0) throw new FormatError(path, "file range", "length", position, "file ended early (truncated while being read?)");
      // write() finishes with the buffer before the next read reuses it.
      await write(buffer.subarray(0, bytesRead));
      position += bytesRead;
      left -= bytesRead;
    }
  } finally {
    await src.close();
  }
}

/** fsync a directory so a rename in it survives a crash (best effort: some file systems refuse it). */
export async function syncDirectory(dir: string): Promise<void> {
  // Durability of the rename itself. Some file systems refuse fsync on a directory; the rename is already atomic.
  let d: FileHandle | undefined;
  try {
    d = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await d.sync();
  } catch {
    /* best effort */
  } finally {
    await d?.close().catch(() => undefined);
  }
}
