/**
 * The real kexec backend: `syscall(SYS_kexec_load / SYS_kexec_file_load)` and
 * `reboot(LINUX_REBOOT_CMD_KEXEC)` through koffi (an FFI library with prebuilt
 * binaries, loaded only when this backend is used). Every call first passes
 * the guard ({@link kexecGuardRefusal}): a handoff test run can call it only
 * inside its QEMU test VMs, so that no mistake in a test can kexec (reboot) the
 * developer's or CI's machine; a user outside any test run loads and starts
 * kernels on their own machine, as with kexec-tools.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  KEXEC_FILE_NO_INITRAMFS,
  KEXEC_FILE_ON_CRASH,
  KEXEC_ON_CRASH,
  KEXEC_FILE_UNLOAD,
  KexecRefusedError,
  LINUX_REBOOT_CMD_KEXEC,
  encodeLinuxKexecSegments,
  type KexecBackend,
  type KexecFileLoadRequest,
  type KexecLoadRequest,
} from "@handoff/core/kexec";
import type { Architecture } from "@handoff/core";

/** The running machine as the syscall backend needs it: its arch id, word width and kexec system call numbers (declared by its architecture). */
export type KexecSyscallMachine = Pick<Architecture, "id" | "wordBits" | "kexecSyscalls">;

/** The test VM's /init creates this file (in its initramfs, never on a disk). */
export const TEST_VM_MARKER = "/handoff-test-vm";
/** Set on the test VM's kernel command line; the kernel passes it into PID 1's environment. */
export const TEST_VM_PID1_ENV = "HANDOFF_TEST_VM=1";
/** Inside a test VM, must be set in the environment of the process that calls the real backend. */
export const REAL_KEXEC_ENV = "HANDOFF_KEXEC_REAL";
/** Set (by the test runner's global setup) in every process of a handoff test run. */
export const TEST_RUN_ENV = "HANDOFF_TEST_RUN";
/**
 * Where a handoff test run registers itself (one file per run, named by the
 * runner's PID) for as long as it runs. Fixed paths, not TMPDIR: a test that
 * spawns a command with a cleared environment must still be seen.
 */
export const TEST_RUN_REGISTRIES = ["/run/handoff-test-runs", "/tmp/handoff-test-runs"] as const;
/** PID 1 names of real init systems: never a test VM. */
const REAL_INITS = new Set(["systemd", "openrc-init", "runit", "runit-init", "s6-svscan", "upstart", "launchd", "tini", "dumb-init", "containerd-shim", "docker-init"]);

/** What the guard looks at. */
export interface GuardInputs {
  /** This process's environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `/proc/1/environ` (NUL-separated), undefined when unreadable. */
  readonly pid1Environ: string | undefined;
  /** `/proc/1/comm`, undefined when unreadable. */
  readonly pid1Comm: string | undefined;
  /** Whether {@link TEST_VM_MARKER} exists. */
  readonly marker: boolean;
  /** PIDs of live handoff test runs registered on this machine ({@link TEST_RUN_REGISTRIES}). */
  readonly activeTestRuns: readonly number[];
}

/** Whether these inputs describe a handoff test VM: PID 1 is its /init, with the VM's word in its environment and the marker file. */
export function isHandoffTestVm(inputs: GuardInputs): boolean {
  const comm = inputs.pid1Comm?.trim();
  return comm !== undefined && !REAL_INITS.has(comm) && inputs.marker && (inputs.pid1Environ?.split("\0").includes(TEST_VM_PID1_ENV) ?? false);
}

/**
 * Why the real backend must refuse, or undefined when it may call the kernel.
 * Pure, so tests can try every case. The rule:
 * - inside a handoff test VM, only with `HANDOFF_KEXEC_REAL=1` (the VM's /init sets it);
 * - on any other machine, never while a handoff test run is active there — in
 *   this process's environment or registered on the machine — so no test, however
 *   it spawns a command, can kexec (reboot) the machine it runs on;
 * - otherwise it is a user loading a kernel into their own machine, as with
 *   kexec-tools; the kernel's own checks apply (CAP_SYS_BOOT, kexec_load_disabled, lockdown).
 */
export function kexecGuardRefusal(inputs: GuardInputs): string | undefined {
  if (isHandoffTestVm(inputs)) {
    return inputs.env[REAL_KEXEC_ENV] === "1" ? undefined : `${REAL_KEXEC_ENV}=1 is not set: inside a handoff test VM the real backend needs it`;
  }
  if (inputs.env[TEST_RUN_ENV] !== undefined && inputs.env[TEST_RUN_ENV] !== "") {
    return `this process belongs to a handoff test run (${TEST_RUN_ENV} is set): tests kexec only inside QEMU test VMs, never the machine they run on`;
  }
  if (inputs.activeTestRuns.length > 0) {
    return `a handoff test run (pid ${inputs.activeTestRuns.join(", ")}) is active on this machine: kexec is refused until it ends (registered in ${TEST_RUN_REGISTRIES.join(" or ")})`;
  }
  return undefined;
}

const readOrUndefined = (path: string) => {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
};

/** Live test runs registered on this machine (a registration whose PID is gone is stale and ignored). */
export function activeTestRuns(registries: readonly string[] = TEST_RUN_REGISTRIES): number[] {
  const pids: number[] = [];
  for (const dir of registries) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const pid = Number(name);
      if (Number.isSafeInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) pids.push(pid);
    }
  }
  return pids;
}

/**
 * Register a handoff test run (its runner's PID) in the first writable registry,
 * where {@link activeTestRuns} looks; returns the file to remove when the run
 * ends. The guard must see every run, so failing every registry throws.
 */
export function registerTestRun(pid: number = process.pid, note = ""): string {
  const errors: string[] = [];
  for (const dir of TEST_RUN_REGISTRIES) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o1777 });
      const file = join(dir, String(pid));
      writeFileSync(file, note);
      return file;
    } catch (e) {
      errors.push(`${dir}: ${(e as Error).message}`);
    }
  }
  throw new Error(`cannot register the test run for the kexec guard (${errors.join("; ")})`);
}

/** The guard's inputs on this machine (the real /proc: there is deliberately no root-dir parameter). */
function realGuardInputs(env: Readonly<Record<string, string | undefined>>): GuardInputs {
  return { env, pid1Environ: readOrUndefined("/proc/1/environ"), pid1Comm: readOrUndefined("/proc/1/comm"), marker: existsSync(TEST_VM_MARKER), activeTestRuns: activeTestRuns() };
}

/** Refuse unless the guard allows a real call. */
export function assertKexecAllowed(env: Readonly<Record<string, string | undefined>> = process.env): void {
  const why = kexecGuardRefusal(realGuardInputs(env));
  if (why !== undefined) throw new KexecRefusedError("guard", why);
}

/** Environment variable naming a segment whose loaded bytes a handoff test VM corrupts (see {@link testVmSegmentFault}). */
export const TEST_FLIP_SEGMENT_ENV = "HANDOFF_TEST_FLIP_SEGMENT";

/**
 * The segment to corrupt after planning, for the QEMU proof that the stub's
 * SHA-256 check stops a kexec: the name in {@link TEST_FLIP_SEGMENT_ENV},
 * honoured only inside a handoff test VM ({@link isHandoffTestVm} on the real
 * /proc), never on any other machine.
 */
export function testVmSegmentFault(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const name = env[TEST_FLIP_SEGMENT_ENV];
  return name !== undefined && name !== "" && isHandoffTestVm(realGuardInputs(env)) ? name : undefined;
}

/** errno values the kernel uses to refuse kexec (asm-generic/errno-base.h, errno.h). */
const ERRNO = { EPERM: 1, ENOENT: 2, EBUSY: 16, EINVAL: 22, ENOSYS: 38, EKEYREJECTED: 129, ENOEXEC: 8, EADDRNOTAVAIL: 99 } as const;

/** What each errno means when a kexec call returns it. */
const ERRNO_MEANING: Readonly<Record<number, string>> = {
  [ERRNO.EPERM]: "EPERM: not permitted (needs CAP_SYS_BOOT; kexec_load_disabled, or lockdown refusing an unsigned image)",
  [ERRNO.EBUSY]: "EBUSY: another kexec is in progress",
  [ERRNO.EINVAL]: "EINVAL: the kernel refused the segments or flags (overlap, destination outside RAM, bad entry)",
  [ERRNO.EADDRNOTAVAIL]: "EADDRNOTAVAIL: a segment's destination is not usable memory",
  [ERRNO.ENOEXEC]: "ENOEXEC: the kernel does not recognise the image",
  [ERRNO.EKEYREJECTED]: "EKEYREJECTED: the image's signature was rejected",
};

/** A sentence for the errno a kexec syscall returned. */
export function explainKexecErrno(operation: string, errno: number): string {
  if (errno === ERRNO.ENOSYS) return `ENOSYS: this kernel has no ${operation}`;
  return ERRNO_MEANING[errno] ?? `errno ${errno}`;
}

/** The part of koffi the backend uses. */
interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
  errno(): number;
  view(ptr: unknown, length: number): ArrayBuffer;
  address(ptr: unknown): bigint;
}

/** The real backend over koffi; every call runs the guard first. */
export class SyscallKexecBackend implements KexecBackend {
  readonly kind = "real";
  private fns: { syscall: (...a: unknown[]) => unknown; reboot: (cmd: number) => number; malloc: (n: number) => unknown; free: (p: unknown) => void; koffi: Koffi } | undefined;

  constructor(
    /** The architecture this machine runs (the installed one whose `machineNames.node` is Node's `process.arch`). */
    readonly machine: KexecSyscallMachine,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  private async native() {
    assertKexecAllowed(this.env);
    if (this.fns) return this.fns;
    const koffi = ((await import("koffi")) as unknown as { default: Koffi }).default;
    const libc = koffi.load("libc.so.6");
    this.fns = {
      koffi,
      syscall: libc.func("long syscall(long number, ...)"),
      reboot: libc.func("int reboot(int cmd)") as (cmd: number) => number,
      malloc: libc.func("void *malloc(size_t size)") as (n: number) => unknown,
      free: libc.func("void free(void *ptr)") as (p: unknown) => void,
    };
    return this.fns;
  }

  private numbers(operation: "kexecLoad" | "kexecFileLoad"): number {
    const n = this.machine.kexecSyscalls?.[operation];
    if (n === undefined) throw new KexecRefusedError(operation === "kexecLoad" ? "kexec_load" : "kexec_file_load", `no such system call on ${this.machine.id}`, ERRNO.ENOSYS);
    return n;
  }

  /** `kexec_load` with the segments copied into C memory for the call. */
  async kexecLoad(request: KexecLoadRequest): Promise<void> {
    const f = await this.native();
    const word = this.machine.wordBits === 64 ? 8 : 4;
    const owned: unknown[] = [];
    const copy = (bytes: Uint8Array) => {
      const p = f.malloc(Math.max(bytes.length, 1));
      if (p === null) throw new KexecRefusedError("kexec_load", `malloc of ${bytes.length} bytes failed`);
      owned.push(p);
      new Uint8Array(f.koffi.view(p, bytes.length)).set(bytes);
      return p;
    };
    try {
      const entries = request.segments.map((s) => ({ buf: f.koffi.address(copy(s.bytes)), bufsz: BigInt(s.bytes.length), mem: s.mem, memsz: s.memsz }));
      const array = copy(encodeLinuxKexecSegments(entries, { wordBytes: word, endianness: "little" }));
      const rc = f.syscall(this.numbers("kexecLoad"), "unsigned long", request.entry, "unsigned long", request.segments.length, "void *", array, "unsigned long", request.flags);
      this.check("kexec_load", rc, f.koffi);
    } finally {
      for (const p of owned) f.free(p);
    }
  }

  /** `kexec_file_load` on file descriptors of the kernel and initrd. */
  async kexecFileLoad(request: KexecFileLoadRequest): Promise<void> {
    const f = await this.native();
    const kernelFd = openSync(request.kernelPath, "r");
    const initrdFd = request.initrdPath === undefined ? -1 : openSync(request.initrdPath, "r");
    try {
      const cmdline = Buffer.from(`${request.cmdline}\0`, "utf8");
      const flags = request.flags | (request.initrdPath === undefined ? KEXEC_FILE_NO_INITRAMFS : 0n);
      const rc = f.syscall(this.numbers("kexecFileLoad"), "int", kernelFd, "int", initrdFd, "unsigned long", cmdline.length, "const char *", cmdline, "unsigned long", flags);
      this.check("kexec_file_load", rc, f.koffi);
    } finally {
      closeSync(kernelFd);
      if (initrdFd >= 0) closeSync(initrdFd);
    }
  }

  /** Unload: kexec_file_load(KEXEC_FILE_UNLOAD [| ON_CRASH]) or kexec_load with no segments ([KEXEC_ON_CRASH]). */
  async unload(file: boolean, crash = false): Promise<void> {
    const f = await this.native();
    const rc = file
      ? f.syscall(this.numbers("kexecFileLoad"), "int", -1, "int", -1, "unsigned long", 0, "void *", null, "unsigned long", KEXEC_FILE_UNLOAD | (crash ? KEXEC_FILE_ON_CRASH : 0n))
      : f.syscall(this.numbers("kexecLoad"), "unsigned long", 0, "unsigned long", 0, "void *", null, "unsigned long", crash ? KEXEC_ON_CRASH : 0n);
    this.check(file ? "kexec_file_load" : "kexec_load", rc, f.koffi);
  }

  async exec(): Promise<void> {
    const f = await this.native();
    const rc = f.reboot(LINUX_REBOOT_CMD_KEXEC);
    // reboot() returns only when nothing is loaded (EINVAL) or the caller lacks CAP_SYS_BOOT (EPERM).
    const errno = f.koffi.errno();
    throw new KexecRefusedError("exec", errno === ERRNO.EINVAL ? "nothing is loaded (handoff kexec load first)" : `reboot returned ${rc}: ${explainKexecErrno("reboot", errno)}`, errno);
  }

  private check(operation: string, rc: unknown, koffi: Koffi): void {
    if (Number(rc) === 0) return;
    const errno = koffi.errno();
    throw new KexecRefusedError(operation, explainKexecErrno(operation, errno), errno);
  }
}
