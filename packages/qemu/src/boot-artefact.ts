import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HandoffArtefact, NativeProbe } from "@handoff/core";
import type { QemuStreamEnding, QemuStreamOutcome } from "@handoff/core/compose";
import { compareRegisters, type RegisterComparison } from "./compare.js";
import { QemuError } from "./errors.js";
import type { RegisterFileSource } from "./info-registers.js";
import { withQemu, type QemuMachine, type QemuOptions } from "./machine.js";
import { scratchDir } from "./scratch.js";

/** One segment of the artefact read back from guest memory at the probe. */
export interface MemoryComparison {
  readonly segment: string;
  readonly mem: bigint;
  readonly memsz: bigint;
  readonly equal: boolean;
  readonly firstDifferenceAt?: bigint;
}

/** What `bootAndProbe` found: every register and segment against the promise, and QEMU's own loader's leftovers. */
export interface ProbeReport {
  readonly arch: string;
  readonly protocol: string;
  readonly entry: bigint;
  readonly ok: boolean;
  readonly registers: readonly RegisterComparison[];
  readonly memory: readonly MemoryComparison[];
  /** Registers QEMU's `-kernel` path leaves non-zero where the protocol leaves them undefined (with `native`). */
  readonly qemuLoaderLeftovers?: readonly { readonly name: string; readonly value: bigint }[];
  readonly qemuLoaderProtocol?: string;
}

/** A hand-off artefact to run and how long to wait. */
export interface BootRequest {
  readonly artefact: HandoffArtefact;
  readonly timeoutMs: number;
  /** Where the boot reports what it is doing (a TTY's stderr), or nowhere. */
  readonly progress?: (line: string) => void;
  /** QEMU's CPU model (`-cpu`, e.g. `max` for an x86 CPU with LA57); default: the arch's. */
  readonly cpu?: string;
}

/** A probe boot: the arch's register file, and optionally the same probe through QEMU's own loader. */
export interface ProbeRequest extends BootRequest {
  readonly arch: RegisterFileSource;
  readonly native?: NativeProbe;
}

/** The stub's segment-mismatch loop as a failure `waitForPc` reports, when the artefact's stub has a check. */
export function verifyFailure(a: HandoffArtefact): { pc: bigint; reason: string }[] {
  return a.verify ? [{ pc: a.verify.failPc, reason: "the hand-off stub's segment check: a segment's SHA-256 differs from the plan's (hd_verify_fail)" }] : [];
}

function qemuOptions(a: HandoffArtefact, dir: string, lifetimeMs: number, cpu?: string): QemuOptions {
  const base = { arch: a.arch, memory: a.qemu.memory, machine: a.qemu.machine, lifetimeMs, ...(cpu === undefined ? {} : { cpu }) };
  if (a.launch.kind === "kernel-elf") return { ...base, kernel: join(dir, a.launch.file) };
  return { ...base, blobs: a.launch.blobs.map((b) => ({ file: join(dir, b.file), addr: b.addr })), entry: a.launch.entry };
}

/** Run `fn` with the artefact's files in a temp dir that is gone afterwards (and on SIGINT/SIGTERM/exit). */
async function withArtefactFiles<T>(artefact: HandoffArtefact, fn: (dir: string) => Promise<T>): Promise<T> {
  if (artefact.qemu.machine === undefined && !["x86_64", "x86_32", "arm64", "arm32"].includes(artefact.arch)) {
    throw new QemuError(`qemu-system-${artefact.arch}`, "start", "no qemu-system target for this architecture (the artefact names no QEMU machine)");
  }
  const scratch = scratchDir("handoff-boot-");
  try {
    for (const f of artefact.files) writeFileSync(join(scratch.path, f.name), f.bytes);
    return await fn(scratch.path);
  } finally {
    scratch.dispose();
  }
}

async function compareMemory(m: QemuMachine, artefact: HandoffArtefact): Promise<MemoryComparison[]> {
  const memory: MemoryComparison[] = [];
  for (const seg of artefact.segments) {
    const want = seg.data.kind === "bytes" ? seg.data.bytes : new Uint8Array(0);
    const got = await m.readMemory(seg.mem, Number(seg.memsz));
    const firstDiff = got.findIndex((b, i) => b !== (i < want.length ? want[i] : 0));
    memory.push({ segment: seg.name ?? seg.role, mem: seg.mem, memsz: seg.memsz, equal: firstDiff < 0, ...(firstDiff >= 0 ? { firstDifferenceAt: seg.mem + BigInt(firstDiff) } : {}) });
  }
  return memory;
}

async function loaderLeftovers(request: ProbeRequest, native: NativeProbe, dir: string): Promise<{ name: string; value: bigint }[]> {
  const { artefact, arch, timeoutMs } = request;
  const file = join(dir, "native-kernel.bin");
  writeFileSync(file, native.kernel);
  return withQemu({ arch: artefact.arch, memory: artefact.qemu.memory, machine: artefact.qemu.machine, kernel: file, lifetimeMs: timeoutMs + 10_000, ...(request.cpu === undefined ? {} : { cpu: request.cpu }) }, async (m) => {
    const observed = await m.waitForPc(native.entry, arch, timeoutMs);
    return compareRegisters(native.state, observed)
      .filter((r) => !r.match && r.provenance.kind === "forced-zero")
      .map((r) => ({ name: r.name, value: r.observed }));
  });
}

/**
 * Boot a probe artefact in QEMU, stop it at the payload's entry, compare every
 * register QEMU reports and every segment in guest memory with the promise;
 * with `native`, boot the same probe through QEMU's own loader and list the
 * registers it leaves dirty. QEMU and the temp dir are gone when this returns.
 */
export async function bootAndProbe(request: ProbeRequest): Promise<ProbeReport> {
  const { artefact, arch, timeoutMs } = request;
  const progress = request.progress ?? (() => {});
  return withArtefactFiles(artefact, async (dir) => {
    progress(`booting ${artefact.arch} ${artefact.protocol} hand-off in QEMU (stub 0x${artefact.stubEntry.toString(16)}, entry 0x${artefact.entry.toString(16)})`);
    const probe = await withQemu(qemuOptions(artefact, dir, timeoutMs + 10_000, request.cpu), async (m) => {
      const observed = await m.waitForPc(artefact.entry, arch, timeoutMs, { failPc: artefact.stubFail, failReason: "the hand-off stub's failure loop: the indirection list did not end within its bound", failures: verifyFailure(artefact) });
      return { registers: compareRegisters(artefact.state, observed), memory: await compareMemory(m, artefact) };
    });
    const ok = probe.registers.every((r) => r.match) && probe.memory.every((m) => m.equal);
    const report = { arch: artefact.arch, protocol: artefact.protocol, entry: artefact.entry, ok, ...probe };
    if (request.native === undefined) return report;
    progress("booting the same probe through QEMU's own loader (-kernel) for comparison");
    return { ...report, qemuLoaderLeftovers: await loaderLeftovers(request, request.native, dir), qemuLoaderProtocol: request.native.state.protocol };
  });
}

/** Start QEMU on the artefact's files and run `fn` with the machine; QEMU and the files are gone when it returns. */
export async function withBootedArtefact<T>(artefact: HandoffArtefact, lifetimeMs: number, fn: (m: QemuMachine) => Promise<T>): Promise<T> {
  return withArtefactFiles(artefact, (dir) => withQemu(qemuOptions(artefact, dir, lifetimeMs), fn));
}

/**
 * Boot an artefact and stream its serial console to `onSerial` until QEMU exits
 * or `timeoutMs` passes; returns everything the guest printed.
 */
export async function bootAndStream(request: BootRequest & { readonly onSerial?: (text: string) => void }): Promise<QemuStreamOutcome> {
  const { artefact, timeoutMs } = request;
  return withArtefactFiles(artefact, async (dir) => {
    request.progress?.(`booting ${artefact.arch} ${artefact.protocol} hand-off in QEMU`);
    return withQemu({ ...qemuOptions(artefact, dir, timeoutMs + 5000, request.cpu), onSerial: request.onSerial }, async (m) => {
      const deadline = Date.now() + timeoutMs;
      while (m.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return { serial: m.serial, ending: m.running ? "timeout" : streamEnding(m.qmp.events) };
    });
  });
}

/** The guest's part in QEMU's exit, from the SHUTDOWN event's reason (QMP `ShutdownCause`); "exited" when QEMU sent none. */
function streamEnding(events: readonly { event: string; data?: unknown }[]): QemuStreamEnding {
  const shutdown = events.find((e) => e.event === "SHUTDOWN");
  const reason = (shutdown?.data as { reason?: unknown } | undefined)?.reason;
  return reason === "guest-shutdown" || reason === "guest-reset" || reason === "guest-panic" ? reason : "exited";
}
