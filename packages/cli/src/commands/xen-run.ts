import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { LINUX_KEXEC_SEED_BYTES, MemoryMap, ValidationError } from "@handoff/core";
import { parseXenRunScript, xenKexecCalls, xenRunFlavour, type DecodedValue, type XenCallResult, type XenRunCallSpec, type XenRunFlavour } from "@handoff/xen";
import { linuxBuilderOf, type LoadedArchitectures } from "../container.js";
import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { readFileBounded } from "@handoff/node";
import { parseSeconds } from "../numbers.js";
import { table, toJson } from "../output.js";
import { runXen, type XenRunReport } from "../xen-run.js";

/** The calls: from `--script FILE` (a JSON list) or the positionals `CALL [COMMAND] [ARGS...]` with `--struct JSON`. */
function callsOf(positionals: readonly string[], script: string | undefined, struct: string | undefined, cwd: string): XenRunCallSpec[] {
  const json = (text: string, what: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new ValidationError(what, `not JSON: ${(cause as Error).message}`);
    }
  };
  if (script !== undefined) {
    if (positionals.length) throw new UsageError("xen run: give CALL ... or --script FILE, not both", "xen run");
    const path = resolve(cwd, script);
    return parseXenRunScript(json(new TextDecoder().decode(readFileBounded(path, { role: "script", maxBytes: 1 << 20 }).bytes), path), path);
  }
  const [call, command, ...args] = positionals;
  if (!call) throw new UsageError("xen run: give CALL [COMMAND] [ARGS...] or --script FILE", "xen run");
  const spec = { call, ...(command !== undefined ? { command } : {}), ...(args.length ? { args } : {}), ...(struct ? { struct: json(struct, "--struct") } : {}) };
  return parseXenRunScript([spec], "command line");
}

/** Largest kernel or initrd `--kexec-kernel` / `--kexec-initrd` read. */
const MAX_KEXEC_FILE_BYTES = 256 * 1024 * 1024;

/** The `--kexec-*` options. */
interface XenKexecOptions {
  readonly kernel?: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  readonly memoryMap?: string;
}

/**
 * `--kexec-kernel`: handoff plans the kernel (its stub as the entry) for the
 * machine map given, and the two kexec_op calls that load it into Xen and
 * start it (after the script's calls).
 */
function kexecCalls(o: XenKexecOptions, flavour: XenRunFlavour, loaded: LoadedArchitectures, cwd: string): XenRunCallSpec[] {
  if (o.kernel === undefined) {
    if (o.initrd !== undefined || o.cmdline !== undefined || o.memoryMap !== undefined) throw new UsageError("xen run: --kexec-initrd, --kexec-cmdline and --kexec-memory-map go with --kexec-kernel", "xen run");
    return [];
  }
  if (flavour.guest !== "pv") throw new UsageError("xen run: --kexec-kernel needs an x86 PV dom0 (--guest pv): Xen dispatches kexec_op to PV guests only, and Arm Xen has none", "xen run");
  if (o.memoryMap === undefined) throw new UsageError("xen run: --kexec-kernel needs --kexec-memory-map FILE (the machine's map, as XENMEM_machine_memory_map gives it)", "xen run");
  const builder = linuxBuilderOf(loaded, flavour.arch);
  if (builder?.kexec === undefined) throw new ValidationError(`xen run --kexec-kernel on ${flavour.arch}`, "handoff cannot plan kexec_load for this architecture");
  const read = (path: string, role: string) => readFileBounded(resolve(cwd, path), { role, maxBytes: MAX_KEXEC_FILE_BYTES }).bytes;
  const mapPath = resolve(cwd, o.memoryMap);
  const plan = builder.kexec({
    kernel: read(o.kernel, "kernel"),
    kernelPath: resolve(cwd, o.kernel),
    ...(o.initrd !== undefined ? { initrd: read(o.initrd, "initrd") } : {}),
    cmdline: o.cmdline ?? "",
    memoryMap: MemoryMap.fromJson(new TextDecoder().decode(read(o.memoryMap, "memory map")), mapPath),
    seed: new Uint8Array(randomBytes(LINUX_KEXEC_SEED_BYTES)),
  });
  return xenKexecCalls(plan, loaded.registry.get(flavour.arch).elfMachine);
}

function show(v: DecodedValue | undefined): string {
  return v === undefined ? "" : toJson(v).replace(/\s*\n\s*/g, " ");
}

/** An output array up to its last element that is not all zeros (the call filled that far). */
function filled(values: readonly DecodedValue[]): readonly DecodedValue[] {
  const zero = (v: DecodedValue): boolean => (typeof v === "bigint" ? v === 0n : typeof v === "string" ? v === "" : Object.values(v).every(zero));
  let end = values.length;
  while (end > 0 && zero(values[end - 1]!)) end--;
  return values.slice(0, end);
}

function rows(results: readonly XenCallResult[], prefix = ""): string[][] {
  return results.flatMap((r) => [
    [`${prefix}${r.index}`, `${r.call}${r.command ? ` ${r.command}` : ""}`, r.returned ? r.result.toString() : "(did not return)", show(r.struct?.value)],
    ...r.buffers.flatMap((b) => (b.messages ?? []).map((m) => ["", `  ring message`, `from ${m.source.domainId}:${m.source.aport} type ${m.messageType}`, JSON.stringify(new TextDecoder().decode(m.data))])),
    ...r.buffers.flatMap((b) => filled(b.values ?? []).map((v, i) => ["", `  [${i}]`, "", show(v)])),
    ...rows(r.calls ?? [], `${prefix}${r.index}.`),
  ]);
}

function render(r: XenRunReport): string {
  const block = r.blockAddress !== undefined ? `data block at ${r.blockAddress.toString(16)} (found at ${r.blockFoundAt!.toString(16)})` : "data block not read (dom0's memory belongs to the new system)";
  const handover = r.handover ? [`handover: ${r.handover.vmStopped ? "the new system stopped the VM" : "Xen reports dom0 ended (no handover)"}`] : [];
  return [
    `${r.flavour} (${r.guestBits}-bit guest): ${block}, ${r.timing.toShutdownMs} ms to the guest's end, ${r.timing.toResultsMs} ms to the results`,
    table(["#", "call", "result", "output"], rows(r.results)),
    ...handover,
    ...(r.completed || r.handover ? [] : ["the payload did not reach its end: Xen stopped the domain (see the console)"]),
  ].join("\n");
}

/** `handoff xen run` */
export const command = defineCommand({
  positionals: { synopsis: "CALL [COMMAND] [ARGS...]", min: 0, max: 8 },
  options: {
    arch: { type: "string", value: "A", required: true, help: "the dom0's architecture (arm64, arm32, x86_64)" },
    "guest-mode": { type: "string", value: "32|64", help: "guest width (AArch32 dom0 on arm64 Xen; x86: 32-bit PV, or a PVH dom0 calling from its 32-bit stage instead of long mode)" },
    guest: { type: "string", value: "pv|pvh", help: "x86: PV or PVH dom0" },
    xen: { type: "string", value: "IMAGE", required: true, help: "the Xen hypervisor image QEMU boots" },
    "xen-args": { type: "string", multiple: true, value: "ARGS", help: "more of Xen's command line (e.g. argo=1)" },
    script: { type: "string", value: "FILE", help: "a JSON list of calls ({call, command?, struct?, args?, calls?, allowUnclean?})" },
    struct: { type: "string", value: "JSON", help: "the command's struct members (with CALL COMMAND)" },
    timeout: { type: "string", value: "S", help: "seconds until the guest must have ended (default 60)" },
    console: { type: "boolean", help: "print Xen's console after the results" },
    "kexec-kernel": { type: "string", value: "FILE", help: "x86 PV: after the calls, load this kernel into Xen (KEXEC_CMD_kexec_load, handoff's segments and stub) and start it (KEXEC_CMD_kexec)" },
    "kexec-initrd": { type: "string", value: "FILE", help: "its initrd" },
    "kexec-cmdline": { type: "string", value: "TEXT", help: "its command line" },
    "kexec-memory-map": { type: "string", value: "FILE", help: "the machine's memory map (JSON ranges) the segments go into and the kernel is told" },
  },
  notes: ["The payload ends with sched_op(SCHEDOP_shutdown); results are read from guest memory over QMP and decoded with handoff's own layouts."],
  async run({ values, positionals }, context) {
    const mode = values["guest-mode"];
    if (mode !== undefined && mode !== "32" && mode !== "64") throw new UsageError(`--guest-mode: '${mode}' must be 32 or 64`, "xen run");
    const guest = values.guest;
    if (guest !== undefined && guest !== "pv" && guest !== "pvh") throw new UsageError(`--guest: '${guest}' must be pv or pvh`, "xen run");
    const flavour = xenRunFlavour(values.arch, mode ? (Number(mode) as 32 | 64) : undefined, guest);
    const loaded = await context.architectures(flavour.arch);
    const abi = loaded.registry.get(flavour.arch).hypercallAbi;
    if (!abi) throw new ValidationError(flavour.arch, "has no hypercall ABI");
    const kexec = kexecCalls({ kernel: values["kexec-kernel"], initrd: values["kexec-initrd"], cmdline: values["kexec-cmdline"], memoryMap: values["kexec-memory-map"] }, flavour, loaded, context.cwd);
    const calls = [...(positionals.length || values.script !== undefined || !kexec.length ? callsOf(positionals, values.script, values.struct, context.cwd) : []), ...kexec];
    const timeoutMs = parseSeconds(values.timeout ?? "60", "--timeout", 3600) * 1000;
    const report = await runXen({ flavour, abi, xen: { image: resolve(context.cwd, values.xen), args: values["xen-args"].flatMap((a) => a.split(/\s+/).filter(Boolean)) }, calls, run: { timeoutMs, handover: kexec.length > 0 } });
    if (values.json) return toJson({ ...report, console: report.console.split(/\r?\n/) });
    return { text: render(report) + (values.console ? `\n${report.console}` : ""), code: report.completed ? 0 : 1 };
  },
});
