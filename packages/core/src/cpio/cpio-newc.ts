import { ValidationError } from "../errors.js";

/**
 * Writer for the "new ASCII" (newc) cpio format the Linux initramfs unpacker
 * reads (Linux Documentation/driver-api/early-userspace/buffer-format.rst):
 * a 110-byte header of "070701" and 13 eight-digit hex fields, the NUL-terminated
 * name padded to 4 bytes, the data padded to 4 bytes, and a final "TRAILER!!!".
 */

const MAGIC = "070701";
/** 6 magic bytes + 13 fields x 8 hex digits. */
const HEADER_SIZE = 110;
const TRAILER = "TRAILER!!!";

/** File type bits of st_mode (POSIX <sys/stat.h>). */
export const S_IFDIR = 0o040000;
/** st_mode file type: regular file. */
export const S_IFREG = 0o100000;
/** st_mode file type: symbolic link. */
export const S_IFLNK = 0o120000;
/** st_mode file type: character device. */
export const S_IFCHR = 0o020000;

/** One archive member: path, st_mode (type and permissions), contents and device numbers. */
export interface CpioEntry {
  readonly path: string;
  readonly mode: number;
  readonly data: Uint8Array;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
}

const encoder = new TextEncoder();

/** An initramfs under construction; entries are written in the order added. */
export class NewcArchive {
  private readonly entries: CpioEntry[] = [];
  private readonly paths = new Set<string>();

  /** Adds a directory with permission bits `perms`. */
  directory(path: string, perms = 0o755): this {
    return this.add({ path, mode: S_IFDIR | perms, data: new Uint8Array(0), rdevMajor: 0, rdevMinor: 0 });
  }

  /** Adds a regular file; a string is encoded as UTF-8. */
  file(path: string, data: Uint8Array | string, perms = 0o644): this {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return this.add({ path, mode: S_IFREG | perms, data: bytes, rdevMajor: 0, rdevMinor: 0 });
  }

  /** Adds a symbolic link to `target` (mode 0777, as symlinks are). */
  symlink(path: string, target: string): this {
    return this.add({ path, mode: S_IFLNK | 0o777, data: encoder.encode(target), rdevMajor: 0, rdevMinor: 0 });
  }

  /** Adds a character device node with the given major and minor numbers. */
  characterDevice(path: string, major: number, minor: number, perms = 0o600): this {
    return this.add({ path, mode: S_IFCHR | perms, data: new Uint8Array(0), rdevMajor: major, rdevMinor: minor });
  }

  /** The archive bytes, trailer included. */
  toBytes(): Uint8Array {
    const parts: Uint8Array[] = [];
    let ino = 1;
    for (const e of this.entries) parts.push(...record(e, ino++));
    parts.push(...record({ path: TRAILER, mode: 0, data: new Uint8Array(0), rdevMajor: 0, rdevMinor: 0 }, 0));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private add(entry: CpioEntry): this {
    const path = entry.path.replace(/^\/+/, "");
    if (path === "" || path.split("/").some((c) => c === ".." || c === "") || path.includes("\0")) {
      throw new ValidationError(`cpio entry '${entry.path}'`, "path must be relative, without '..', empty components or NUL");
    }
    if (this.paths.has(path)) throw new ValidationError(`cpio entry '${entry.path}'`, "added twice");
    if (entry.data.length > 0xffff_ffff) throw new ValidationError(`cpio entry '${entry.path}'`, "larger than 4 GiB - 1, the newc size field");
    this.paths.add(path);
    this.entries.push({ ...entry, path });
    return this;
  }
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function record(e: CpioEntry, ino: number): Uint8Array[] {
  const name = encoder.encode(`${e.path}\0`);
  const isDir = (e.mode & 0o170000) === S_IFDIR;
  const fields = [
    ino,
    e.mode,
    0, // uid: root
    0, // gid: root
    isDir ? 2 : 1, // nlink
    0, // mtime: fixed, so archives are reproducible
    e.data.length,
    0, // devmajor
    0, // devminor
    e.rdevMajor,
    e.rdevMinor,
    name.length,
    0, // check: unused by newc (070701)
  ];
  const header = encoder.encode(MAGIC + fields.map((f) => f.toString(16).padStart(8, "0")).join(""));
  if (header.length !== HEADER_SIZE) throw new Error("cpio header size invariant broken");
  return [header, name, new Uint8Array(pad4(HEADER_SIZE + name.length)), e.data, new Uint8Array(pad4(e.data.length))];
}
