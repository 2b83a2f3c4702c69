/**
 * kexec-tools as a benchmark peer, run so that it never loads anything.
 *
 * - `ensureKexecTools()` fetches Debian's kexec-tools and the libraries it
 *   needs that this machine lacks (apt-get install -s resolves them,
 *   apt-get download + dpkg-deb -x unpack them) into .cache/kexec-tools/.
 * - `buildNoKexec()` compiles scripts/bench/nokexec.c with gcc into an
 *   LD_PRELOAD library that makes libc's syscall() return 0 for kexec_load
 *   and kexec_file_load (kexec-tools calls the kernel only through syscall(),
 *   kexec/kexec-syscall.h) and forwards every other number.
 * - `kexecSyscallsSeenByStrace()` runs a command under
 *   `strace -f -e trace=kexec_load,kexec_file_load` and returns the kexec
 *   syscalls the kernel actually saw: the proof that the interposition holds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CACHE = join(REPO_ROOT, ".cache", "kexec-tools");
const SHIM_SOURCE = fileURLToPath(new URL("./nokexec.c", import.meta.url));
const MULTIARCH = "x86_64-linux-gnu";

/** An environmental reason the peer cannot run here, stated precisely. */
export class PeerUnavailable extends Error {}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...options });
  if (r.error) throw new PeerUnavailable(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new PeerUnavailable(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout;
}

/**
 * Debian's kexec-tools, unpacked under .cache/kexec-tools/root. Returns the
 * binary, the environment it needs (LD_LIBRARY_PATH for unpacked libraries),
 * its own version line and the Debian package version.
 */
export function ensureKexecTools({ cache = CACHE } = {}) {
  const root = join(cache, "root");
  const kexec = join(root, "sbin", "kexec");
  const stamp = join(cache, "packages.txt");
  if (!existsSync(kexec) || !existsSync(stamp)) {
    if (process.arch !== "x64") throw new PeerUnavailable(`kexec-tools bench peer is x86_64-only (this is ${process.arch})`);
    const work = `${cache}.${process.pid}.tmp`; // private: concurrent setups do not clobber each other
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, "debs"), { recursive: true });
    // One resolver call names every package missing here (kexec-tools -> libxenmisc -> libxen*, libyajl2).
    const sim = run("apt-get", ["install", "-s", "-q", "--no-install-recommends", "kexec-tools"]);
    const names = [...sim.matchAll(/^Inst (\S+) \(([^ )]+)/gm)].map((m) => m[1]);
    if (!names.includes("kexec-tools")) names.push("kexec-tools");
    run("apt-get", ["download", "-q", ...names], { cwd: join(work, "debs") });
    const debs = readdirSync(join(work, "debs")).filter((f) => f.endsWith(".deb"));
    for (const deb of debs) run("dpkg-deb", ["-x", join(work, "debs", deb), join(work, "root")]);
    const version = run("dpkg-deb", ["-f", join(work, "debs", debs.find((d) => d.startsWith("kexec-tools_")) ?? debs[0]), "Version"]).trim();
    writeFileSync(join(work, "packages.txt"), `kexec-tools ${version}\n${debs.join("\n")}\n`);
    rmSync(join(work, "debs"), { recursive: true, force: true });
    mkdirSync(dirname(cache), { recursive: true });
    if (existsSync(join(cache, "packages.txt"))) rmSync(work, { recursive: true, force: true }); // another setup finished first
    else {
      rmSync(cache, { recursive: true, force: true });
      renameSync(work, cache);
    }
  }
  const env = {
    LD_LIBRARY_PATH: [join(root, "usr/lib", MULTIARCH), join(root, "lib", MULTIARCH), process.env.LD_LIBRARY_PATH]
      .filter(Boolean)
      .join(":"),
  };
  const debVersion = readFileSync(stamp, "utf8").split("\n")[0].replace(/^kexec-tools /, "");
  const versionLine = run(kexec, ["--version"], { env: { ...process.env, ...env } }).trim();
  return { kexec, env, version: versionLine, debVersion };
}

/** Compile the LD_PRELOAD shim (cached; rebuilt when its source changes). */
export function buildNoKexec({ outDir = CACHE } = {}) {
  const out = join(outDir, "nokexec.so");
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(SHIM_SOURCE).mtimeMs) return out;
  mkdirSync(outDir, { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  run("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", temp, SHIM_SOURCE, "-ldl"]);
  renameSync(temp, out);
  return out;
}

/** Environment that runs a program with kexec syscalls interposed. */
export function interposedEnv(shim, extra = {}) {
  return { ...process.env, ...extra, LD_PRELOAD: [shim, process.env.LD_PRELOAD].filter(Boolean).join(":") };
}

/**
 * Run `cmd args` under strace, following children, tracing only the two kexec
 * syscalls. Returns the program's exit status, its stderr and every kexec
 * syscall strace saw reach the kernel.
 */
export function kexecSyscallsSeenByStrace(cmd, args, env) {
  const dir = mkdtempSync(join(tmpdir(), "handoff-strace-"));
  try {
    const log = join(dir, "trace");
    const r = spawnSync("strace", ["-f", "-qq", "-o", log, "-e", "trace=kexec_load,kexec_file_load", cmd, ...args], {
      env,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    if (r.error) throw new PeerUnavailable(`strace: ${r.error.message}`);
    const trace = existsSync(log) ? readFileSync(log, "utf8") : "";
    const calls = trace.split("\n").filter((l) => /\bkexec_(file_)?load\(/.test(l));
    return { status: r.status, stderr: r.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when `cmd` runs (for building-block checks). */
export function hasTool(cmd, args = ["--version"]) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

