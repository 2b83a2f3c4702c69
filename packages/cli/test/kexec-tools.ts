/**
 * kexec-tools as an oracle, run safely: Debian's amd64 `kexec` binary is
 * executed under qemu-user (`qemu-x86_64`), where the kexec_load syscall is not
 * implemented and is answered with ENOSYS by the emulator, so nothing ever
 * reaches the host kernel. `-strace` shows that answer; the runner checks it.
 * The binary reads its memory map from /sys/firmware/memmap; qemu-user's `-L`
 * prefix serves it a fake one (and fake boot_params, /proc/cmdline) from a
 * private sysroot, so the plan depends on the given map only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@handoff/test-support";

export interface KexecSegmentDump {
  readonly buf: bigint;
  readonly bufsz: bigint;
  readonly mem: bigint;
  readonly memsz: bigint;
}

export interface KexecDebugDump {
  readonly entry: bigint;
  readonly flags: bigint;
  readonly segments: readonly KexecSegmentDump[];
}

/** Malformed `kexec -d` output. */
export class KexecDumpError extends Error {}

const HEADER = /^kexec_load: entry = (0x[0-9a-f]+) flags = (0x[0-9a-f]+)$/;
const COUNT = /^nr_segments = (\d+)$/;
const FIELD = /^segment\[(\d+)\]\.(buf|bufsz|mem|memsz)\s*= (0x[0-9a-f]+)$/;
const MAX_SEGMENTS = 64;

/**
 * Parse the segment dump `kexec -d` prints before calling kexec_load
 * (`kexec_load: entry = 0x.. flags = 0x..`, `nr_segments = N`, then four
 * `segment[i].field = 0x..` lines per segment). The dump repeated after a
 * failed call is ignored. Every segment must have all four fields, in order.
 */
export function parseKexecDebug(text: string): KexecDebugDump {
  const lines = text.split("\n").map((l) => l.trim());
  const start = lines.findIndex((l) => HEADER.test(l));
  if (start < 0) throw new KexecDumpError("no 'kexec_load: entry = ... flags = ...' line");
  const [, entry, flags] = HEADER.exec(lines[start]!)!;
  const countLine = COUNT.exec(lines[start + 1] ?? "");
  if (!countLine) throw new KexecDumpError(`expected 'nr_segments = N' after the kexec_load line, got '${lines[start + 1] ?? ""}'`);
  const count = Number(countLine[1]);
  if (count > MAX_SEGMENTS) throw new KexecDumpError(`nr_segments ${count} is implausible`);
  const segments: KexecSegmentDump[] = [];
  const order = ["buf", "bufsz", "mem", "memsz"] as const;
  for (let i = 0; i < count; i++) {
    const values: bigint[] = [];
    for (let f = 0; f < 4; f++) {
      const line = lines[start + 2 + i * 4 + f] ?? "";
      const m = FIELD.exec(line);
      if (!m || Number(m[1]) !== i || m[2] !== order[f]) throw new KexecDumpError(`expected segment[${i}].${order[f]}, got '${line}'`);
      values.push(BigInt(m[3]!));
    }
    segments.push({ buf: values[0]!, bufsz: values[1]!, mem: values[2]!, memsz: values[3]! });
  }
  return { entry: BigInt(entry!), flags: BigInt(flags!), segments };
}

function which(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).status === 0;
}

/** Why kexec-tools cannot be run here, or undefined when it can. */
export function kexecToolsUnavailable(): string | undefined {
  for (const tool of ["qemu-x86_64", "apt-get", "apt-cache", "dpkg-deb", "dpkg"]) if (!which(tool)) return `${tool} not found`;
  // `apt-get download` fetches the native architecture's packages; the oracle is the amd64 build.
  const native = spawnSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).stdout.trim();
  if (native !== "amd64") return `apt's native architecture is ${native}, not amd64`;
  return undefined;
}

/**
 * libxen* packages kexec-tools needs, transitively (Debian builds it with Xen
 * support). One apt-cache call: without a package cache each call re-reads
 * every package list, which takes tens of seconds on a loaded machine.
 */
function xenLibraryPackages(): string[] {
  const out = execFileSync(
    "apt-cache",
    ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "kexec-tools"],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  return [...new Set([...out.matchAll(/Depends: (libxen[a-z0-9.-]+)/g)].map((m) => m[1]!))];
}

/**
 * Download (`apt-get download`, amd64) and unpack kexec-tools and the Xen
 * libraries it links, into the repository's ignored download cache (`.cache/kexec-tools-sysroot`; the bench keeps its own `.cache/kexec-tools`),
 * never a fixed shared path under /tmp. Returns the
 * sysroot holding `sbin/kexec` and `usr/lib/x86_64-linux-gnu/libxen*`.
 */
export function prepareKexecTools(cacheDir = join(REPO_ROOT, ".cache", "kexec-tools-sysroot")): string {
  const root = join(cacheDir, "root");
  if (existsSync(join(root, "sbin", "kexec"))) return root;
  mkdirSync(cacheDir, { recursive: true });
  const debs = join(cacheDir, "debs");
  mkdirSync(debs, { recursive: true });
  const packages = ["kexec-tools", ...xenLibraryPackages()];
  execFileSync("apt-get", ["download", ...packages], { cwd: debs, stdio: ["ignore", "ignore", "pipe"] });
  rmSync(root, { recursive: true, force: true });
  for (const deb of readdirSync(debs).filter((f) => f.endsWith(".deb"))) execFileSync("dpkg-deb", ["-x", join(debs, deb), root]);
  if (!existsSync(join(root, "sbin", "kexec"))) throw new Error(`kexec-tools did not unpack into ${root}`);
  return root;
}

export interface FakeMemoryRange {
  readonly start: bigint;
  /** Exclusive. */
  readonly end: bigint;
  readonly type: "System RAM" | "Reserved";
}

export interface KexecToolsRun {
  readonly dump: KexecDebugDump;
  /** kexec's stderr without the strace lines. */
  readonly debug: string;
  /** The strace line of the kexec_load call, showing the emulator's answer. */
  readonly syscall: string;
}

/**
 * Run `kexec -d -l KERNEL --initrd=I --append=C` under qemu-x86_64 with the
 * given memory map, and return its segment dump. Throws unless the strace shows
 * kexec_load answered with errno 38 (ENOSYS) by the emulator.
 */
export function runKexecTools(
  root: string,
  options: { kernel: string; initrd?: string; append?: string; memoryMap: readonly FakeMemoryRange[]; workDir: string },
): KexecToolsRun {
  // A private sysroot for -L: fake firmware memmap, zeroed boot_params, a fixed /proc/cmdline.
  const sys = join(options.workDir, "sysroot");
  rmSync(sys, { recursive: true, force: true });
  options.memoryMap.forEach((r, i) => {
    const dir = join(sys, "sys", "firmware", "memmap", String(i));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "start"), `0x${r.start.toString(16)}\n`);
    writeFileSync(join(dir, "end"), `0x${(r.end - 1n).toString(16)}\n`);
    writeFileSync(join(dir, "type"), `${r.type}\n`);
  });
  mkdirSync(join(sys, "sys", "kernel", "boot_params"), { recursive: true });
  writeFileSync(join(sys, "sys", "kernel", "boot_params", "data"), Buffer.alloc(4096));
  mkdirSync(join(sys, "proc"), { recursive: true });
  writeFileSync(join(sys, "proc", "cmdline"), "handoff-test\n");
  const lib = join(root, "usr", "lib", "x86_64-linux-gnu");
  const args = ["-L", sys, "-E", `LD_LIBRARY_PATH=${lib}`, "-strace", join(root, "sbin", "kexec"), "-d", "-l", options.kernel];
  if (options.initrd) args.push(`--initrd=${options.initrd}`);
  if (options.append !== undefined) args.push(`--append=${options.append}`);
  const r = spawnSync("qemu-x86_64", args, { encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
  const all = `${r.stdout}\n${r.stderr}`;
  const syscall = all.split("\n").find((l) => / kexec_load\(/.test(l));
  if (syscall === undefined) throw new Error(`kexec never called kexec_load (exit ${r.status}):\n${all.slice(-2000)}`);
  if (!/= -1 errno=38 \(Function not implemented\)/.test(syscall)) throw new Error(`kexec_load was not answered ENOSYS by qemu-user: ${syscall}`);
  // Strip strace prefixes: kexec's own writes appear as `PID write(2,0x..,N)TEXT` when they share a line.
  const debug = all
    .split("\n")
    .map((l) => l.replace(/^\d+ write\(2,0x[0-9a-f]+,\d+\)/, ""))
    .filter((l) => !/^\d+ [a-z_0-9]+\(/.test(l) && !/^ = \d+$/.test(l))
    .join("\n");
  return { dump: parseKexecDebug(debug), debug, syscall };
}
