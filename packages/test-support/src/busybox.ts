import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IN_CI, REPO_ROOT } from "./tools.js";

/** Debian architecture names for handoff's arch ids. */
export const DEBIAN_ARCH = { x86_64: "amd64", x86_32: "i386", arm64: "arm64", arm32: "armhf" } as const;

const CACHE = join(REPO_ROOT, ".cache", "busybox");

/**
 * Path of a static busybox for `arch`, fetched once with
 * `apt-get download busybox-static:<debian arch>` and unpacked with dpkg-deb.
 * Needs the foreign architecture enabled in dpkg (.ci/run does it). Returns
 * undefined (loudly) when it cannot be had locally; throws under CI.
 */
export function staticBusybox(arch: keyof typeof DEBIAN_ARCH): string | undefined {
  const deb = DEBIAN_ARCH[arch];
  const target = join(CACHE, deb, "busybox");
  if (existsSync(target)) return target;
  const work = join(CACHE, `${deb}.tmp`);
  try {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    execFileSync("apt-get", ["download", `busybox-static:${deb}`], { cwd: work, stdio: "pipe" });
    const file = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!file) throw new Error("apt-get download produced no .deb");
    execFileSync("dpkg-deb", ["-x", file, "root"], { cwd: work, stdio: "pipe" });
    mkdirSync(join(CACHE, deb), { recursive: true });
    renameSync(join(work, "root/bin/busybox"), target);
    return target;
  } catch (error) {
    const why = `busybox-static:${deb} unavailable: ${(error as Error).message.split("\n")[0]} (dpkg --add-architecture ${deb} && apt-get update)`;
    if (IN_CI) throw new Error(why);
    console.warn(`\n*** SKIPPING initramfs boots for ${arch}: ${why} ***\n`);
    return undefined;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
