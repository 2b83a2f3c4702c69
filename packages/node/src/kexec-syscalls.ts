/**
 * The real kexec backend: `syscall(SYS_kexec_load / SYS_kexec_file_load)` and
 * `reboot(LINUX_REBOOT_CMD_KEXEC)` through koffi (an FFI library with prebuilt
 * binaries, loaded only when this backend is used). Every call first passes
 * the guard: it runs only inside a handoff test VM, so that no mistake in a
 * test or a script can kexec (reboot) a developer's machine.
 */
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import {
  KEXEC_FILE_NO_INITRAMFS,
  KEXEC_FILE_UNLOAD,
  KEXEC_SYSCALLS,
  KexecRefusedError,
  LINUX_REBOOT_CMD_KEXEC,
  archOfNodeArch,
  encodeLinuxKexecSegments,
  type KexecBackend,
  type KexecFileLoadRequest,
  type KexecLoadRequest,
} from "@handoff/core/kexec";

/** The test VM's /init creates this file (in its initramfs, never on a disk). */
export const TEST_VM_MARKER = "/handoff-test-vm";
/** Set on the test VM's kernel command line; the kernel passes it into PID 1's environment. */
export const TEST_VM_PID1_ENV = "HANDOFF_TEST_VM=1";
/** Must be set in the environment of the process that calls the real backend. */
export const REAL_KEXEC_ENV = "HANDOFF_KEXEC_REAL";
/** PID 1 names of real init systems: the guard refuses on sight. */
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
}

/** Why the real backend must refuse, or undefined when every condition holds. Pure, so tests can try every case. */
export function kexecGuardRefusal(inputs: GuardInputs): string | undefined {
  if (inputs.env[REAL_KEXEC_ENV] !== "1") return `${REAL_KEXEC_ENV}=1 is not set: the real kexec backend is for handoff test VMs only`;
  const comm = inputs.pid1Comm?.trim();
  if (comm === undefined) return "cannot read /proc/1/comm";
  if (REAL_INITS.has(comm)) return `PID 1 is ${comm}: this is a real system, not a handoff test VM`;
  if (!inputs.pid1Environ?.split("\0").includes(TEST_VM_PID1_ENV)) return `PID 1's environment lacks ${TEST_VM_PID1_ENV} (set on a handoff test VM's kernel command line)`;
  if (!inputs.marker) return `${TEST_VM_MARKER} is missing (a handoff test VM's /init creates it)`;
  return undefined;
}

const readOrUndefined = (path: string) => {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
};

/** Refuse unless this is a handoff test VM (reads the real /proc: there is deliberately no root-dir parameter). */
export function assertInsideTestVm(env: Readonly<Record<string, string | undefined>> = process.env): void {
  const why = kexecGuardRefusal({ env, pid1Environ: readOrUndefined("/proc/1/environ"), pid1Comm: readOrUndefined("/proc/1/comm"), marker: existsSync(TEST_VM_MARKER) });
  if (why !== undefined) throw new KexecRefusedError("guard", why);
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
    /** handoff arch id of this machine (defaults to the running Node's). */
    readonly arch: string = archOfNodeArch(process.arch) ?? process.arch,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  private async native() {
    assertInsideTestVm(this.env);
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
    const n = KEXEC_SYSCALLS[this.arch]?.[operation];
    if (n === undefined) throw new KexecRefusedError(operation === "kexecLoad" ? "kexec_load" : "kexec_file_load", `no such system call on ${this.arch}`, ERRNO.ENOSYS);
    return n;
  }

  async kexecLoad(request: KexecLoadRequest): Promise<void> {
    const f = await this.native();
    const word = this.arch === "x86_64" || this.arch === "arm64" ? 8 : 4;
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

  async unload(file: boolean): Promise<void> {
    const f = await this.native();
    const rc = file
      ? f.syscall(this.numbers("kexecFileLoad"), "int", -1, "int", -1, "unsigned long", 0, "void *", null, "unsigned long", KEXEC_FILE_UNLOAD)
      : f.syscall(this.numbers("kexecLoad"), "unsigned long", 0, "unsigned long", 0, "void *", null, "unsigned long", 0);
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
