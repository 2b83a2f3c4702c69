import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ValidationError, hex, type HandoffArtefact } from "@handoff/core";
import { compareRegisters, withQemu, type QemuArch, type QemuOptions, type RegisterComparison } from "@handoff/qemu";
import type { LoadedArchitectures } from "../container.js";
import { table, toJson } from "../output.js";
import { builderFor, readPayload, writeArtefact } from "./handoff-artefacts.js";
import { linuxArtefact } from "./linux-boot.js";

export interface BootOptions {
  readonly arch: string;
  readonly protocol?: string;
  readonly kernel?: string;
  readonly probe: boolean;
  readonly vmmSelectors: boolean;
  readonly entryMode?: string;
  readonly json: boolean;
  /** Seconds to wait (probe: for the entry; otherwise: how long to stream the console). */
  readonly timeout: number;
  /** Skip the comparison boot through QEMU's own loader. */
  readonly native: boolean;
  /** Linux boots: initrd file and command line. */
  readonly initrd?: string;
  readonly cmdline?: string;
}

const QEMU_ARCHS: readonly string[] = ["x86_64", "x86_32", "arm64", "arm32"];

function qemuOptions(a: HandoffArtefact, dir: string, lifetimeMs: number): QemuOptions {
  const arch = a.arch as QemuArch;
  const base = { arch, memory: a.qemu.memory, machine: a.qemu.machine, lifetimeMs };
  if (a.launch.kind === "pvh-elf") return { ...base, kernel: join(dir, a.launch.file) };
  return { ...base, blobs: a.launch.blobs.map((b) => ({ file: join(dir, b.file), addr: b.addr })), entry: a.launch.entry };
}

const row = (r: RegisterComparison) => [r.name, hex(r.expected), hex(r.observed), r.match ? (r.deviation ? "ok*" : "ok") : "DIFFERS", r.provenance.kind === "protocol" ? "protocol" : "forced zero"];

/** `handoff boot`: build, run in QEMU, stream the console; with --probe compare the CPU with the promise. */
export async function bootCommand(loaded: LoadedArchitectures, o: BootOptions, cwd: string, io: { write: (s: string) => void; progress?: (s: string) => void }): Promise<{ text: string; ok: boolean }> {
  const { arch, builder } = builderFor(loaded, o.arch);
  const linux = linuxArtefact(loaded, o, cwd);
  const artefact =
    linux ?? builder.build({ protocol: o.protocol ?? builder.protocols[0]!, payload: o.probe || !o.kernel ? builder.probePayload() : readPayload(resolve(cwd, o.kernel)), vmmSelectors: o.vmmSelectors, entryMode: o.entryMode });
  // A plugin arch runs qemu-system-<id> (@handoff/qemu) and must name its machine in the artefact.
  if (!QEMU_ARCHS.includes(o.arch) && artefact.qemu.machine === undefined) throw new ValidationError(`--arch ${o.arch}`, "no qemu-system target for this architecture (the artefact names no QEMU machine)");
  const dir = mkdtempSync(join(tmpdir(), "handoff-boot-"));
  const timeoutMs = o.timeout * 1000;
  try {
    writeArtefact(artefact, dir, toJson);
    const progress = io.progress ?? (() => {});
    progress(`booting ${artefact.arch} ${artefact.protocol} hand-off in QEMU (stub ${hex(artefact.stubEntry)}, entry ${hex(artefact.entry)})`);
    if (!o.probe) {
      const serial = await withQemu({ ...qemuOptions(artefact, dir, timeoutMs + 5000), onSerial: o.json ? undefined : (s) => io.write(s) }, async (m) => {
        const deadline = Date.now() + timeoutMs;
        while (m.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        return m.serial;
      });
      return { text: o.json ? toJson({ arch: artefact.arch, protocol: artefact.protocol, serial }) : "", ok: true };
    }
    const probe = await withQemu(qemuOptions(artefact, dir, timeoutMs + 10_000), async (m) => {
      const observed = await m.waitForPc(artefact.entry, arch, timeoutMs, { failPc: artefact.stubFail, failReason: "the hand-off stub's failure loop: the indirection list did not end within its bound" });
      const registers = compareRegisters(artefact.state, observed);
      const memory = [];
      for (const seg of artefact.segments) {
        const want = seg.data.kind === "bytes" ? seg.data.bytes : new Uint8Array(0);
        const got = await m.readMemory(seg.mem, Number(seg.memsz));
        let firstDiff = -1;
        for (let i = 0; i < got.length; i++) if (got[i] !== (i < want.length ? want[i] : 0)) { firstDiff = i; break; }
        memory.push({ segment: seg.name ?? seg.role, mem: seg.mem, memsz: seg.memsz, equal: firstDiff < 0, ...(firstDiff >= 0 ? { firstDifferenceAt: seg.mem + BigInt(firstDiff) } : {}) });
      }
      return { registers, memory };
    });
    let leftovers: { name: string; value: bigint }[] | undefined;
    let nativeProtocol = "";
    if (o.native) {
      progress("booting the same probe through QEMU's own loader (-kernel) for comparison");
      const native = builder.nativeProbe();
      nativeProtocol = native.state.protocol;
      const file = join(dir, "native-kernel.bin");
      writeFileSync(file, native.kernel);
      leftovers = await withQemu({ arch: o.arch as QemuArch, memory: artefact.qemu.memory, machine: artefact.qemu.machine, kernel: file, lifetimeMs: timeoutMs + 10_000 }, async (m) => {
        const observed = await m.waitForPc(native.entry, arch, timeoutMs);
        return compareRegisters(native.state, observed)
          .filter((r) => !r.match && r.provenance.kind === "forced-zero")
          .map((r) => ({ name: r.name, value: r.observed }));
      });
    }
    const ok = probe.registers.every((r) => r.match) && probe.memory.every((m) => m.equal);
    if (o.json) {
      return {
        ok,
        text: toJson({
          arch: artefact.arch,
          protocol: artefact.protocol,
          entry: artefact.entry,
          ok,
          registers: probe.registers.map((r) => ({ name: r.name, expected: r.expected, observed: r.observed, match: r.match, provenance: r.provenance, ...(r.deviation ? { emulatorDeviation: r.deviation } : {}) })),
          memory: probe.memory,
          ...(leftovers ? { qemuLoaderLeftovers: leftovers, qemuLoaderProtocol: nativeProtocol } : {}),
        }),
      };
    }
    const lines = [
      `${artefact.arch} ${artefact.protocol} hand-off, probe at ${hex(artefact.entry)}: ${ok ? "every register QEMU reports equals the promised state" : "MISMATCH"}`,
      table(["register", "expected", "observed", "", "provenance"], probe.registers.map(row)),
      ...probe.registers.filter((r) => r.deviation).map((r) => `* ${r.name}: ${r.deviation}`),
      ...probe.memory.map((m) => `memory ${m.segment} ${hex(m.mem)}+${hex(m.memsz)}: ${m.equal ? "equals the segment" : `differs at ${hex(m.firstDifferenceAt!)}`}`),
    ];
    if (leftovers) {
      lines.push(
        leftovers.length
          ? `QEMU's own loader (-kernel, ${nativeProtocol} entry) leaves leftovers in registers that protocol leaves undefined: ${leftovers.map((l) => `${l.name}=${hex(l.value)}`).join(" ")}`
          : `QEMU's own loader (-kernel, ${nativeProtocol} entry) left no leftovers in the registers it reports`,
      );
    }
    return { ok, text: lines.join("\n") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
