/**
 * Test-only QEMU oracle for page tables: boots a few instructions that load the
 * translation registers and turn the MMU on, then asks QEMU's own MMU model
 * (`gva2gpa` over QMP) to translate addresses, so a real (emulated) CPU judges
 * the tables and the walkers. Tools missing: skip loudly locally, fail under CI.
 */
import { tempDir } from "./temp.js";
import { requireTool } from "./tools.js";
export { requireTool };
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { expect } from "vitest";
import type { Mapping, PageTableBuild } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";

export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = tempDir("handoff-mmu-");
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Assemble `source` with `as` + `objcopy -O binary`: the flat machine code. */
export function assemble(prefix: string, source: string, dir: string, asFlags: string[] = []): string {
  const src = join(dir, "code.S");
  const obj = join(dir, "code.o");
  const bin = join(dir, "code.bin");
  writeFileSync(src, source);
  const a = spawnSync(`${prefix}as`, [...asFlags, "-o", obj, src], { encoding: "utf8" });
  if (a.status !== 0) throw new Error(`${prefix}as failed: ${a.stderr}`);
  const c = spawnSync(`${prefix}objcopy`, ["-O", "binary", "-j", ".text", obj, bin], { encoding: "utf8" });
  if (c.status !== 0) throw new Error(`${prefix}objcopy failed: ${c.stderr}`);
  return bin;
}

/** A running QEMU with a QMP socket. */
export class QemuSession {
  private constructor(
    private readonly child: ChildProcess,
    private readonly send: (cmd: object) => Promise<Record<string, unknown>>,
    private readonly stderr: () => string,
  ) {}

  static async start(binary: string, args: readonly string[], dir: string): Promise<QemuSession> {
    const sock = join(dir, "qmp.sock");
    const child = spawn(binary, [...args, "-qmp", `unix:${sock},server=on,wait=off`, "-display", "none", "-serial", "none", "-monitor", "none", "-nodefaults"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const socket = await new Promise<import("node:net").Socket>((resolve, reject) => {
      const deadline = Date.now() + 15_000;
      child.once("exit", (code) => reject(new Error(`qemu exited (${code}): ${err}`)));
      const attempt = () => {
        const s = createConnection(sock);
        s.once("connect", () => resolve(s));
        s.once("error", () => {
          if (child.exitCode !== null) reject(new Error(`qemu exited: ${err}`));
          else if (Date.now() > deadline) reject(new Error(`no QMP socket: ${err}`));
          else setTimeout(attempt, 100);
        });
      };
      attempt();
    });
    let buffer = "";
    const waiting: ((msg: Record<string, unknown>) => void)[] = [];
    socket.on("data", (d) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ("return" in msg || "error" in msg) waiting.shift()?.(msg);
      }
    });
    const send = (cmd: object) =>
      new Promise<Record<string, unknown>>((resolve) => {
        waiting.push(resolve);
        socket.write(JSON.stringify(cmd) + "\n");
      });
    const session = new QemuSession(child, send, () => err);
    await send({ execute: "qmp_capabilities" });
    return session;
  }

  async hmp(command: string): Promise<string> {
    const r = await this.send({ execute: "human-monitor-command", arguments: { "command-line": command } });
    if ("error" in r) throw new Error(`${command}: ${JSON.stringify(r.error)} ${this.stderr()}`);
    return String(r.return);
  }

  /** QEMU's translation of `va` with the current CPU state, or undefined when unmapped. */
  async translate(va: bigint): Promise<bigint | undefined> {
    const out = await this.hmp(`gva2gpa 0x${va.toString(16)}`);
    const m = /gpa:\s*0x([0-9a-f]+)/i.exec(out);
    return m ? BigInt(`0x${m[1]}`) : undefined;
  }

  /** QMP run state: `running`, `paused`, `shutdown`, `guest-panicked`... */
  async status(): Promise<string> {
    const r = await this.send({ execute: "query-status" });
    return String((r.return as { status?: string } | undefined)?.status);
  }

  /** A register's value from `info registers` (e.g. `PC`, `RIP`, `EIP`, `R15`). */
  async register(name: string): Promise<bigint | undefined> {
    const out = await this.hmp("info registers");
    const m = new RegExp(`\\b${name}\\s*[=:]\\s*([0-9a-f]+)`, "i").exec(out);
    return m ? BigInt(`0x${m[1]}`) : undefined;
  }

  async stop(): Promise<void> {
    await this.hmp("stop").catch(() => undefined);
    this.child.kill("SIGKILL");
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads `register` (e.g. `PC`, `R15`) until it equals `spin`, for about 5 s at most; returns the last value read. */
export async function pcAfterSettling(qemu: QemuSession, register: string, spin: bigint): Promise<bigint | undefined> {
  let pc: bigint | undefined;
  for (let i = 0; i < 50; i++) {
    pc = await qemu.register(register);
    if (pc === spin) return pc;
    await sleep(100);
  }
  return pc;
}

/** Each mapping's first, middle and last byte and its two neighbours, plus `extra` (negative ones dropped, `mask` applied). */
export function probeAddresses(mappings: readonly Mapping[], extra: readonly bigint[] = [], mask = (1n << 64n) - 1n): bigint[] {
  const set = new Set<bigint>(extra);
  for (const m of mappings) for (const va of [m.va, m.va + m.size / 2n, m.va + m.size - 1n, m.va - 1n, m.va + m.size]) if (va >= 0n) set.add(va & mask);
  return [...set];
}

/**
 * The paging-qemu check every format shares: at each probe, QEMU's MMU (gva2gpa)
 * translates exactly as the format's walker reads the built tables and, with
 * `againstMappings`, as the mapping set says; at least `minTranslated` probes map.
 */
export async function expectCpuTranslatesLikeWalker(
  format: PageTableFormat,
  build: PageTableBuild,
  qemu: Pick<QemuSession, "translate">,
  mappings: readonly Mapping[],
  probes: readonly bigint[],
  options: { readonly againstMappings?: boolean; readonly minTranslated?: number } = {},
): Promise<void> {
  let translated = 0;
  for (const va of probes) {
    const ours = format.walk(build.memory(), build.registers, va);
    const cpu = await qemu.translate(va);
    expect(cpu, `va 0x${va.toString(16)}`).toBe(ours.kind === "translation" ? ours.pa : undefined);
    if (options.againstMappings !== false) {
      const m = mappings.find((x) => x.va <= va && va < x.va + x.size);
      expect(cpu, `va 0x${va.toString(16)} against the mapping`).toBe(m ? m.pa + (va - m.va) : undefined);
    }
    if (cpu !== undefined) translated++;
  }
  expect(translated).toBeGreaterThanOrEqual(options.minTranslated ?? 0);
}

