import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers.js";

/** Compressed copies of fixture kernels live here between runs (the repo's ignored download/build cache). */
export const COMPRESSED_CACHE = join(REPO_ROOT, ".cache", "compressed-kernels");

/** The Debian tools and the flags a user (or Linux's build) gives them. Fast levels: the test is about the format, not the ratio. */
export const COMPRESSORS = [
  { codec: "gzip", tool: "gzip", args: ["-1", "-n", "-c"], ext: "gz" },
  { codec: "xz", tool: "xz", args: ["-1", "-T1", "-c"], ext: "xz" },
  { codec: "lzma", tool: "lzma", args: ["-1", "-c"], ext: "lzma" },
  { codec: "zstd", tool: "zstd", args: ["-q", "-3", "-c"], ext: "zst" },
  { codec: "lz4", tool: "lz4", args: ["-l", "-c"], ext: "lz4" },
  { codec: "bzip2", tool: "bzip2", args: ["-1", "-c"], ext: "bz2" },
] as const;

/** `kernel` compressed by `tool args`, made once and kept in the cache (atomically renamed into place). */
export function compressedCopy(kernel: string, c: (typeof COMPRESSORS)[number]): string {
  mkdirSync(COMPRESSED_CACHE, { recursive: true });
  const st = statSync(kernel);
  const key = createHash("sha256").update(`${kernel}:${st.size}:${st.mtimeMs}:${c.tool} ${c.args.join(" ")}`).digest("hex").slice(0, 16);
  const target = join(COMPRESSED_CACHE, `${key}.${c.ext}`);
  if (existsSync(target)) return target;
  const r = spawnSync("sh", ["-c", `"$0" "$@" < "${kernel}" > "${target}.tmp"`, c.tool, ...c.args], { stdio: "pipe" });
  if (r.status !== 0) throw new Error(`${c.tool} ${c.args.join(" ")} failed: ${r.stderr}`);
  renameSync(`${target}.tmp`, target);
  return target;
}

/** SHA-256 of a buffer, hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Bytes of a file. */
export function bytesOf(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
