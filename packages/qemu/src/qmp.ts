import { createConnection, type Socket } from "node:net";
import { QmpError } from "./errors.js";

/** QMP's answer to `query-status`. */
export interface QmpStatus {
  readonly running: boolean;
  readonly status: string;
}

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Longest line accepted from QEMU: a `pmemsave`-free QMP answer is never near this. */
const MAX_LINE = 16 * 1024 * 1024;

/**
 * A QMP client over a unix socket (QEMU's `-qmp unix:PATH,server,nowait`).
 * Commands run one at a time, each answered in order (QMP answers in order
 * without `id` tracking when out-of-band is not enabled); asynchronous events
 * are collected in {@link events}.
 */
export class QmpClient {
  /** Events QEMU sent (STOP, RESUME, SHUTDOWN, ...), oldest first. */
  readonly events: { event: string; data?: unknown }[] = [];
  /** The greeting's version triple, e.g. `7.2.22`. */
  version = "";
  private buffer = "";
  private readonly queue: Pending[] = [];
  private closedReason: string | undefined;
  private greeting: ((ok: boolean, reason?: string) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly timeoutMs: number,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", (e) => this.fail(`socket error: ${e.message}`));
    socket.on("close", () => this.fail("socket closed"));
  }

  /**
   * Connect to `path`, retrying until QEMU has created the socket, read the
   * greeting and enter command mode (`qmp_capabilities`).
   */
  static async connect(path: string, options: { timeoutMs?: number; isAlive?: () => boolean } = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    for (;;) {
      if (options.isAlive && !options.isAlive()) throw new QmpError("connect", "protocol", `QEMU exited before its QMP socket answered (${lastError})`);
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path);
          s.once("connect", () => resolve(s));
          s.once("error", reject);
        });
        const client = new QmpClient(socket, timeoutMs);
        await client.waitForGreeting(Math.max(100, deadline - Date.now()));
        await client.execute("qmp_capabilities");
        return client;
      } catch (e) {
        if (e instanceof QmpError) throw e;
        lastError = (e as Error).message;
        if (Date.now() > deadline) throw new QmpError("connect", "protocol", `no QMP socket at ${path} after ${timeoutMs} ms (${lastError})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Run one QMP command; resolves to its `return` value, rejects with {@link QmpError}. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.closedReason) return Promise.reject(new QmpError(command, "protocol", this.closedReason));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.queue.findIndex((p) => p.timer === timer);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new QmpError(command, "protocol", `no answer within ${timeoutMs} ms`));
        // Answers are matched by order: after a lost answer the stream cannot be trusted.
        this.fail(`answer to ${command} lost`);
      }, timeoutMs);
      this.queue.push({ command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + "\n");
    });
  }

  /** A human monitor command (`info registers`, `xp /4wx 0x1000`); its text output, CRLF normalised. */
  async hmp(commandLine: string): Promise<string> {
    const out = await this.execute<string>("human-monitor-command", { "command-line": commandLine });
    return String(out).replace(/\r\n/g, "\n");
  }

  /** Pauses the guest (QMP `stop`). */
  stop(): Promise<unknown> {
    return this.execute("stop");
  }

  /** Resumes the guest (QMP `cont`). */
  cont(): Promise<unknown> {
    return this.execute("cont");
  }

  /** The run state of the guest (QMP `query-status`). */
  async status(): Promise<QmpStatus> {
    return this.execute<QmpStatus>("query-status");
  }

  /** Save `size` bytes of guest physical memory at `addr` to `file` (QEMU writes it). */
  pmemsave(addr: bigint, size: number, file: string): Promise<unknown> {
    return this.execute("pmemsave", { val: Number(addr), size, filename: file });
  }

  /** Closes the QMP connection; later commands fail. */
  close(): void {
    this.closedReason ??= "closed by client";
    this.socket.destroy();
  }

  private waitForGreeting(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no QMP greeting within ${timeoutMs} ms`)), timeoutMs);
      this.greeting = (ok, reason) => {
        clearTimeout(timer);
        this.greeting = undefined;
        if (ok) resolve();
        else reject(new Error(reason ?? "no greeting"));
      };
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_LINE) return this.fail("line longer than 16 MiB");
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return this.fail(`not JSON: ${line.slice(0, 80)}`);
    }
    if ("QMP" in msg) {
      const v = (msg.QMP as { version?: { qemu?: { major: number; minor: number; micro: number } } }).version?.qemu;
      if (v) this.version = `${v.major}.${v.minor}.${v.micro}`;
      this.greeting?.(true);
      return;
    }
    if ("event" in msg) {
      this.events.push({ event: String(msg.event), data: msg.data });
      return;
    }
    const pending = this.queue.shift();
    if (!pending) return;
    clearTimeout(pending.timer);
    if ("error" in msg) {
      const err = msg.error as { class?: string; desc?: string };
      pending.reject(new QmpError(pending.command, err.class ?? "Error", err.desc ?? "unknown error"));
    } else {
      pending.resolve(msg.return);
    }
  }

  private fail(reason: string): void {
    if (this.closedReason === undefined) this.closedReason = reason;
    this.greeting?.(false, reason);
    for (const p of this.queue.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new QmpError(p.command, "protocol", reason));
    }
  }
}
