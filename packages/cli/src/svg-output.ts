import { lstatSync } from "node:fs";
import { FileAccessError, writeFileAtomic } from "./file-io.js";

/**
 * Write a rendered picture to `path` atomically. An existing symlink, device
 * node or directory at `path` is refused rather than replaced: `--svg
 * /dev/sda` or a planted link must not redirect or clobber anything.
 */
export function writeSvgFile(path: string, svg: string): void {
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw new FileAccessError(path, `cannot check the --svg target: ${(cause as Error).message}`, { cause });
  }
  if (existing !== undefined && !existing.isFile()) {
    const what = existing.isSymbolicLink() ? "a symbolic link" : existing.isDirectory() ? "a directory" : "not a regular file";
    throw new FileAccessError(path, `--svg target is ${what}; refusing to replace it`);
  }
  writeFileAtomic(path, new TextEncoder().encode(svg));
}
