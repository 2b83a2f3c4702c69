import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { join } from "node:path";
import { hex } from "@handoff/core";
import { QemuError } from "./errors.js";
import { parseInfoRegisters, type ObservedRegisters, type RegisterFileSource } from "./info-registers.js";
import { QmpClient } from "./qmp.js";
import { dieWithParent } from "./parent-death.js";
import { disposeScratch, scratchDir } from "./scratch.js";

/** The four guests handoff targets, by arch package id. */
export type QemuArch = "x86_64" | "x86_32" | "arm64" | "arm32";

/** A file QEMU's generic loader places at a physical address (`-device loader,file=F,addr=A`). */
export interface LoaderBlob {
  readonly file: string;
  readonly addr: bigint;
}

/** How to start QEMU: architecture, what to load, memory, machine, CPU and the binary to run. */
export interface QemuOptions {
  /**
   * Arch package id. The four built-in arches have default binaries, machines
   * and CPUs; any other id (a plugin's) runs `qemu-system-<id>` unless `binary`
   * says otherwise, and must name its `machine`.
   */
  readonly arch: QemuArch | (string & {});
  /** `-kernel FILE`: on x86 a PVH ELF, entered through QEMU's PVH path. */
  readonly kernel?: string;
  /** Blobs for the generic loader (arm artefacts). */
  readonly blobs?: readonly LoaderBlob[];
  /** Set CPU 0's PC here through the generic loader (`-device loader,addr=E,cpu-num=0`). */
  readonly entry?: bigint;
  /** Guest RAM (`-m`); default 128M. */
  readonly memory?: string;
  readonly machine?: string;
  readonly cpu?: string;
  /** Start with the CPU stopped (`-S`). */
  readonly paused?: boolean;
  readonly extraArgs?: readonly string[];
  /** Override the emulator binary. */
  readonly binary?: string;
  /** Hard cap on the emulator's lifetime; it is killed after this (default 60 s). */
  readonly lifetimeMs?: number;
  /** Called with serial console output as it arrives. */
  readonly onSerial?: (text: string) => void;
}

const DEFAULTS: Record<QemuArch, { binary: string; machine: string; cpu?: string }> = {
  x86_64: { binary: "qemu-system-x86_64", machine: "pc" },
  x86_32: { binary: "qemu-system-i386", machine: "pc" },
  arm64: { binary: "qemu-system-aarch64", machine: "virt", cpu: "cortex-a57" },
  arm32: { binary: "qemu-system-arm", machine: "virt", cpu: "cortex-a15" },
};

function defaultsFor(arch: string): { binary: string; machine?: string; cpu?: string } {
  return Object.hasOwn(DEFAULTS, arch) ? DEFAULTS[arch as QemuArch] : { binary: `qemu-system-${arch}` };
}

/** The `qemu-system-*` binary for an arch (`qemu-system-<id>` for an arch without built-in defaults). */
export function qemuBinary(arch: QemuArch | (string & {})): string {
  return defaultsFor(arch).binary;
}

// Every emulator this process started, and its temp dir: killed and removed on exit
// whatever path the exit takes (stop() removes the dir on the ordinary path).
const live = new Map<ChildProcess, string>();
let hooked = false;
function track(child: ChildProcess, dir: string): void {
  live.set(child, dir);
  child.once("exit", () => live.delete(child));
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const [c, d] of live) {
      c.kill("SIGKILL");
      rmSync(d, { recursive: true, force: true });
    }
  };
  process.once("exit", killAll);
  // A signal that ends the process skips 'exit': kill the emulators, then let the signal do its default.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/**
 * The command line for `options` (exported so reports can show what ran).
 * With `serialFile` the guest's console goes to that file instead of stdout:
 * a file write never blocks, while a pipe whose reader lags (a loaded host, a
 * parent blocked on its own stdout) fills, and QEMU's UART then holds THRE
 * clear until Linux's console driver gives up waiting and overwrites the
 * byte, so characters go missing.
 */
export function qemuArgs(options: QemuOptions, qmpSocket: string, serialFile?: string): string[] {
  const d = defaultsFor(options.arch);
  const machine = options.machine ?? d.machine;
  if (machine === undefined) throw new QemuError(qemuBinary(options.arch), "start", `no default machine for arch '${options.arch}': pass options.machine`);
  const args = ["-M", machine];
  const cpu = options.cpu ?? d.cpu;
  if (cpu) args.push("-cpu", cpu);
  args.push("-m", options.memory ?? "128M", "-accel", "tcg", "-smp", "1", "-display", "none", "-no-reboot");
  args.push("-monitor", "none", "-serial", serialFile === undefined ? "stdio" : `file:${serialFile}`, "-qmp", `unix:${qmpSocket},server,nowait`);
  if (options.paused) args.push("-S");
  if (options.kernel) args.push("-kernel", options.kernel);
  for (const b of options.blobs ?? []) args.push("-device", `loader,file=${b.file},addr=${hex(b.addr)}`);
  if (options.entry !== undefined) args.push("-device", `loader,addr=${hex(options.entry)},cpu-num=0`);
  args.push(...(options.extraArgs ?? []));
  // HANDOFF_QEMU_DEBUG=FILE: QEMU logs every translated block, exception and reset to FILE (stub debugging).
  if (process.env.HANDOFF_QEMU_DEBUG) args.push("-d", "in_asm,int,cpu_reset", "-D", process.env.HANDOFF_QEMU_DEBUG);
  return args;
}

/** The guest console's file in the machine's temp dir, and how often it is read. */
const SERIAL_FILE = "serial.log";
const SERIAL_POLL_MS = 20;

/** Where `waitForPc` gives up early: failure loops the CPU must never sit in. */
export interface WaitForPcOptions {
  readonly failPc?: bigint;
  readonly failReason?: string;
  /** More failure loops, each with the reason reported when the CPU spins there. */
  readonly failures?: readonly { readonly pc: bigint; readonly reason: string }[];
}

/**
 * One running emulator with its QMP connection. Use {@link withQemu}, which
 * kills it whatever happens; {@link QemuMachine.kill} is idempotent.
 */
export class QemuMachine {
  private serialText = "";
  private stderr = "";
  private serialFd: number | undefined;
  private serialStopped = false;
  private readonly serialDecoder = new StringDecoder("utf8");
  private readonly serialPoll: NodeJS.Timeout;
  private readonly serialChunk = Buffer.alloc(65536);
  private exited: string | undefined;
  private readonly lifetime: NodeJS.Timeout;

  private constructor(
    readonly binary: string,
    readonly args: readonly string[],
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly options: QemuOptions,
    lifetimeMs: number,
  ) {
    this.serialPoll = setInterval(() => this.drainSerial(), SERIAL_POLL_MS);
    this.serialPoll.unref();
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (s: string) => {
      if (this.stderr.length < 65536) this.stderr += s;
    });
    child.once("exit", (code, signal) => {
      // Everything QEMU wrote is in the file by now: take it before anyone sees the exit.
      this.stopSerial();
      this.exited = signal ? `killed by ${signal}` : `exited with ${code}`;
    });
    child.once("error", (e) => {
      this.exited ??= `failed: ${e.message}`;
    });
    this.lifetime = setTimeout(() => child.kill("SIGKILL"), lifetimeMs);
    this.lifetime.unref();
  }

  /** The QMP connection; set once {@link start} resolves. */
  qmp!: QmpClient;

  /** Start the emulator and connect QMP. On any failure the process is killed. */
  static async start(options: QemuOptions): Promise<QemuMachine> {
    const dir = scratchDir("handoff-qemu-").path;
    const socket = join(dir, "qmp.sock");
    const binary = options.binary ?? qemuBinary(options.arch);
    const args = qemuArgs(options, socket, join(dir, SERIAL_FILE));
    let child: ChildProcess;
    try {
      const guarded = dieWithParent(binary, args);
      child = spawn(guarded.command, guarded.args, { stdio: ["ignore", "ignore", "pipe"] });
    } catch (cause) {
      disposeScratch(dir);
      throw new QemuError(binary, "start", (cause as Error).message, { cause });
    }
    track(child, dir);
    const machine = new QemuMachine(binary, args, child, dir, options, options.lifetimeMs ?? 60_000);
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    try {
      machine.qmp = await Promise.race([
        QmpClient.connect(socket, { timeoutMs: 15_000, isAlive: () => machine.exited === undefined }),
        spawnError.then((e) => {
          throw new QemuError(binary, "start", e.message, { cause: e });
        }),
      ]);
      return machine;
    } catch (cause) {
      await machine.kill();
      if (cause instanceof QemuError) throw cause;
      throw new QemuError(binary, "start", `${(cause as Error).message}${machine.stderrTail()}`, { cause });
    }
  }

  /** The emulator's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exited === undefined;
  }

  /** Stop the vCPU and read its registers into the arch package's register file. */
  async registers(arch: RegisterFileSource): Promise<ObservedRegisters> {
    await this.qmp.stop();
    return parseInfoRegisters(await this.qmp.hmp("info registers"), arch);
  }

  /** Guest physical memory, read with `pmemsave` (QEMU writes a file we read back). */
  async readMemory(addr: bigint, size: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(size) || size < 0 || size > 256 * 1024 * 1024) {
      throw new QemuError(this.binary, `read ${size} bytes at ${hex(addr)}`, "size out of range");
    }
    const file = join(this.dir, `mem-${hex(addr)}-${size}.bin`);
    await this.qmp.pmemsave(addr, size, file);
    const bytes = new Uint8Array(readFileSync(file));
    rmSync(file, { force: true });
    if (bytes.length !== size) throw new QemuError(this.binary, `read ${size} bytes at ${hex(addr)}`, `pmemsave wrote ${bytes.length} bytes`);
    return bytes;
  }

  /**
   * Wait until the CPU's program counter is `pc` (a probe spinning at its
   * entry), polling with stop / info registers / cont. Leaves the CPU stopped
   * there and returns its registers. Reaching `failPc` (a stub's failure
   * loop) ends the wait at once with a typed error.
   */
  async waitForPc(pc: bigint, arch: RegisterFileSource, timeoutMs = 30_000, options: WaitForPcOptions = {}): Promise<ObservedRegisters> {
    const failures = [...(options.failPc === undefined ? [] : [{ pc: options.failPc, reason: options.failReason ?? "a failure loop" }]), ...(options.failures ?? [])];
    const deadline = Date.now() + timeoutMs;
    const pcName = arch.id === "x86_64" || arch.id === "x86_32" ? "eip" : (arch.qemuInfoRegisters?.pc ?? "pc");
    let last = "";
    for (;;) {
      if (!this.running) throw new QemuError(this.binary, `wait for pc=${hex(pc)}`, `QEMU ${this.exited}${this.stderrTail()}`);
      const observed = await this.registers(arch);
      const now = pcName === "eip" && observed.file.has("rip") ? observed.file.read("rip").value : observed.file.read(pcName).value;
      if (now === pc) return observed;
      const failure = failures.find((f) => f.pc === now);
      if (failure) throw new QemuError(this.binary, `wait for pc=${hex(pc)}`, `the CPU spins at ${hex(now)}: ${failure.reason}`);
      last = hex(now);
      if (Date.now() > deadline) {
        throw new QemuError(this.binary, `wait for pc=${hex(pc)}`, `still at pc=${last} after ${timeoutMs} ms; serial: ${JSON.stringify(this.serial.slice(-200))}`);
      }
      await this.qmp.cont();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Wait until the serial console has printed `marker`. */
  async waitForSerial(marker: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const seen = () => (typeof marker === "string" ? this.serial.includes(marker) : marker.test(this.serial));
    while (!seen()) {
      if (!this.running) throw new QemuError(this.binary, `wait for serial ${String(marker)}`, `QEMU ${this.exited}; serial: ${JSON.stringify(this.serial.slice(-300))}`);
      if (Date.now() > deadline) throw new QemuError(this.binary, `wait for serial ${String(marker)}`, `not seen after ${timeoutMs} ms; serial: ${JSON.stringify(this.serial.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.serial;
  }

  /**
   * Everything the guest wrote to its serial port so far. Reading it takes in
   * what QEMU has written to the file up to now: once the CPU is stopped (QMP
   * `stop`, a SHUTDOWN event with `-action` pausing) it holds every byte.
   */
  get serial(): string {
    this.drainSerial();
    return this.serialText;
  }

  /** Append what QEMU has written to the serial file since the last call, and pass it to `onSerial`. */
  private drainSerial(): void {
    if (this.serialStopped) return;
    if (this.serialFd === undefined) {
      try {
        this.serialFd = openSync(join(this.dir, SERIAL_FILE), "r");
      } catch {
        return; // QEMU has not created it yet
      }
    }
    let text = "";
    for (let n; (n = readSync(this.serialFd, this.serialChunk, 0, this.serialChunk.length, null)) > 0; ) {
      text += this.serialDecoder.write(this.serialChunk.subarray(0, n));
    }
    if (text === "") return;
    this.serialText += text;
    this.options.onSerial?.(text);
  }

  private stopSerial(): void {
    if (this.serialStopped) return;
    clearInterval(this.serialPoll);
    this.drainSerial();
    this.serialStopped = true;
    if (this.serialFd !== undefined) closeSync(this.serialFd);
    this.serialFd = undefined;
  }

  /** Kill the emulator (SIGKILL), close QMP, remove the temp dir. Safe to call twice. */
  async kill(): Promise<void> {
    clearTimeout(this.lifetime);
    this.qmp?.close();
    if (this.running && this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      this.child.kill("SIGKILL");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    }
    this.stopSerial();
    disposeScratch(this.dir);
  }

  private stderrTail(): string {
    const t = this.stderr.trim();
    return t ? `; stderr: ${t.slice(-400)}` : "";
  }
}

/** Start QEMU, run `fn`, and kill QEMU afterwards whether `fn` succeeded or threw. */
export async function withQemu<T>(options: QemuOptions, fn: (machine: QemuMachine) => Promise<T>): Promise<T> {
  const machine = await QemuMachine.start(options);
  try {
    return await fn(machine);
  } finally {
    await machine.kill();
  }
}
