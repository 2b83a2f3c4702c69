import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ValidationError, type HypercallAbi } from "@handoff/core";
import { QemuError, scratchDir, withQemu, type QemuMachine } from "@handoff/qemu";
import { blockFrames, decodePvhBoot, readHashedBlock, decodeXenRun, findPayloadBlock, planXenPayload, type PlannedBlock, type PvhBootFacts, type XenCallResult, type XenRunCallSpec, type XenRunFlavour, type XenRunMachine } from "@handoff/xen";

/** What `handoff xen run` reports: each call's outcome, Xen's console and the times. */
export interface XenRunReport {
  readonly flavour: string;
  readonly guestBits: 32 | 64;
  /** Guest address of the data block as the payload saw it (absent when a handover's new system overwrote it). */
  readonly blockAddress?: bigint;
  /** Guest-physical (machine, where dom0 is 1:1) address where it was found. */
  readonly blockFoundAt?: bigint;
  readonly results: readonly XenCallResult[];
  /** Milliseconds from QEMU's start to the guest's end (the VM stopped), and to the results read. */
  readonly timing: { readonly toShutdownMs: number; readonly toResultsMs: number };
  /** Xen's serial console. */
  readonly console: string;
  /** Whether the payload reached its last call (the shutdown) — false when Xen crashed the domain first. */
  readonly completed: boolean;
  /** PVH: what the payload found at boot (Xen's CPUID leaves, its hypercall page, the start info). */
  readonly pvh?: PvhBootFacts;
  /**
   * A run whose calls hand the machine over (kexec): whether the new system
   * stopped the VM. Its results are not read: dom0's pages then belong to the
   * new system, which may have reused any of them.
   */
  readonly handover?: { readonly vmStopped: boolean };
}

/** The request: flavour, Xen image and its extra arguments, the calls, the hypercall ABI of the flavour's arch. */
export interface XenRunRequest {
  readonly flavour: XenRunFlavour;
  /** The hypercall ABI of the flavour's arch (from its arch package). */
  readonly abi: HypercallAbi;
  /** The Xen image QEMU boots, and its command line words after the flavour's own. */
  readonly xen: { readonly image: string; readonly args: readonly string[] };
  readonly calls: readonly XenRunCallSpec[];
  /**
   * How long the guest may take to end; serial output as it comes; whether
   * the calls hand the machine over (kexec): the run then ends when the new
   * system stops the VM, and dom0's block is not read back.
   */
  readonly run: { readonly timeoutMs: number; readonly onSerial?: (text: string) => void; readonly handover?: boolean };
}

/** Xen's line when the hardware domain ends (xen/common/shutdown.c hwdom_shutdown): its machine halt may just spin. */
const HWDOM_ENDED = /Hardware Dom0 (halted|shutdown|crashed)[^\n]*\n/;

/** Wait until the guest ended (QEMU paused by `-action`: true, or Xen reports dom0 gone: false), then stop the CPU; fail with the console's tail. */
async function waitForEnd(m: QemuMachine, deadline: number): Promise<boolean> {
  for (;;) {
    if (m.qmp.events.some((e) => e.event === "SHUTDOWN" || e.event === "RESET")) return true;
    if (HWDOM_ENDED.test(m.serial)) {
      await m.qmp.stop();
      return false;
    }
    if (!m.running) throw new QemuError(m.binary, "xen run", `QEMU ended before the guest did; serial: ${JSON.stringify(m.serial.slice(-400))}`);
    if (Date.now() > deadline) throw new QemuError(m.binary, "xen run", `no shutdown within the timeout; serial: ${JSON.stringify(m.serial.slice(-400))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The block from its first page at machine address `at`: contiguous where dom0
 * is 1:1 (the read covers it even across a search chunk), for a PVH dom0 read
 * on and checked page by page against the hashes the payload wrote (a page
 * elsewhere is found in `ram` by its hash), else page by page at the machine
 * frames the payload wrote into its frame table (PV).
 */
async function readPages(m: QemuMachine, ram: XenRunMachine["ram"], at: bigint, size: number, kind: XenRunFlavour["frameTable"]): Promise<Uint8Array> {
  const page = 4096;
  if (kind === "page-hashes") return (await readHashedBlock((a, n) => m.readMemory(a, n), ram, at, size)).bytes;
  const first = await m.readMemory(at, page);
  const frames = blockFrames(first, size / page);
  if (!frames) return m.readMemory(at, size);
  if (frames[0] !== at / BigInt(page)) throw new ValidationError("xen run", `the frame table puts page 0 at frame ${frames[0]!.toString(16)}, found at ${at.toString(16)}`);
  const bytes = new Uint8Array(size);
  bytes.set(first);
  for (let i = 1; i < frames.length; i++) bytes.set(await m.readMemory(frames[i]! * BigInt(page), page), i * page);
  return bytes;
}

/** Search guest RAM page by page for the running copy of the block; read it whole. */
async function readBlock(m: QemuMachine, ram: XenRunMachine["ram"], plan: PlannedBlock, kind: XenRunFlavour["frameTable"]): Promise<{ at: bigint; bytes: Uint8Array }> {
  const chunk = 16 << 20;
  const offsets = Array.from({ length: Math.ceil(ram.size / chunk) }, (_, i) => i * chunk);
  // Where this Xen usually puts dom0 is read first: only an ordering, the nonce decides.
  const first = ram.likely === undefined ? 0 : Math.floor(Number(ram.likely - ram.base) / chunk) * chunk;
  offsets.sort((a, b) => Number(b === first) - Number(a === first));
  for (const off of offsets) {
    const dump = await m.readMemory(ram.base + BigInt(off), Math.min(chunk, ram.size - off));
    const found = findPayloadBlock(dump, plan.nonce);
    if (found === undefined) continue;
    const at = ram.base + BigInt(off + found);
    return { at, bytes: await readPages(m, ram, at, plan.block.length, kind) };
  }
  throw new ValidationError("xen run", `the payload's data block is not in guest RAM ${ram.base.toString(16)}+${ram.size.toString(16)}: did dom0 start? serial: ${JSON.stringify(m.serial.slice(-400))}`);
}

/** After the guest ended: read the block back and decode every call (not after a handover). */
async function collect(m: QemuMachine, req: XenRunRequest, plan: PlannedBlock, ram: XenRunMachine["ram"], start: number): Promise<XenRunReport> {
  const { flavour } = req;
  const vmStopped = await waitForEnd(m, start + req.run.timeoutMs);
  const toShutdownMs = Date.now() - start;
  const common = { flavour: flavour.id, guestBits: plan.guestBits, console: m.serial };
  if (req.run.handover) return { ...common, results: [], timing: { toShutdownMs, toResultsMs: toShutdownMs }, completed: false, handover: { vmStopped } };
  const { at, bytes } = await readBlock(m, ram, plan, flavour.frameTable);
  const results = decodeXenRun(req.abi, plan, bytes);
  const blockAddress = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0x10, true);
  const completed = results.slice(0, -1).every((r) => r.returned);
  return {
    ...common,
    blockAddress,
    blockFoundAt: at,
    results: results.slice(0, -1),
    timing: { toShutdownMs, toResultsMs: Date.now() - start },
    completed,
    ...(flavour.guest === "pvh" ? { pvh: decodePvhBoot(req.abi, plan, bytes) } : {}),
  };
}

/** Build the payload, boot Xen with it in QEMU, read the results back over QMP and decode them. */
export async function runXen(req: XenRunRequest): Promise<XenRunReport> {
  const { flavour } = req;
  const shutdown: XenRunCallSpec = { call: "sched_op", command: "shutdown", struct: { reason: flavour.shutdownReason } };
  const plan = planXenPayload(req.abi, [...req.calls, shutdown], { guestBits: flavour.guestBits, frameBias: flavour.frameBias, frameTable: flavour.frameTable !== false, ...(flavour.startInfo ? { startInfo: flavour.startInfo } : {}), nonce: new Uint8Array(randomBytes(16)) });
  const dir = scratchDir("handoff-xen-run-");
  try {
    const payload = join(dir.path, "dom0.img");
    writeFileSync(payload, flavour.image(plan.block, plan.bulk));
    const machine = flavour.machine(payload, [...flavour.xenArgs, ...req.xen.args].join(" "));
    const start = Date.now();
    return await withQemu(
      { arch: machine.qemuArch, kernel: req.xen.image, machine: machine.machine, cpu: machine.cpu, memory: machine.memory, extraArgs: [...machine.args, "-action", "shutdown=pause"], lifetimeMs: req.run.timeoutMs + 10_000, ...(req.run.onSerial ? { onSerial: req.run.onSerial } : {}) },
      (m) => collect(m, req, plan, machine.ram, start),
    );
  } finally {
    dir.dispose();
  }
}
