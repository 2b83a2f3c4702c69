/**
 * The output rule: handoff replaces only regular files. An existing output path
 * that is a symbolic link, a device node, a FIFO, a socket or a directory is
 * refused with a `FileAccessError`, never replaced by a regular file — so
 * `--out /dev/null` as root cannot break the machine, and a symlink planted at
 * the output path cannot redirect or swallow the write. (We refuse symlinks
 * rather than write through them: following one would let whoever controls
 * the link choose which file gets replaced.)
 */
import { lstat } from "node:fs/promises";
import { FileAccessError, fileKind, fromSystemError } from "./file-errors.js";

/** Whether `target` exists, and throws unless it is absent or a regular file. */
export async function checkOutputFile(target: string, role = "output"): Promise<boolean> {
  let st;
  try {
    st = await lstat(target);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fromSystemError(target, role, "inspect it", cause);
  }
  if (st.isSymbolicLink()) throw new FileAccessError(target, role, "symlink", "is a symbolic link; handoff replaces only regular files (remove the link or write elsewhere)");
  if (st.isDirectory()) throw new FileAccessError(target, role, "directory", "is a directory, not a regular file");
  if (!st.isFile()) throw new FileAccessError(target, role, "not-regular", `is ${fileKind(st)}; handoff replaces only regular files`);
  return true;
}
