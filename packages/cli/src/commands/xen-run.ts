import { resolve } from "node:path";
import { ValidationError } from "@handoff/core";
import { parseXenRunScript, xenRunFlavour, type DecodedValue, type XenCallResult, type XenRunCallSpec } from "@handoff/xen";
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
  return [
    `${r.flavour} (${r.guestBits}-bit guest): data block at ${r.blockAddress.toString(16)} (found at ${r.blockFoundAt.toString(16)}), ${r.timing.toShutdownMs} ms to the guest's end, ${r.timing.toResultsMs} ms to the results`,
    table(["#", "call", "result", "output"], rows(r.results)),
    ...(r.completed ? [] : ["the payload did not reach its end: Xen stopped the domain (see the console)"]),
  ].join("\n");
}

/** `handoff xen run` */
export const command = defineCommand({
  positionals: { synopsis: "CALL [COMMAND] [ARGS...]", min: 0, max: 8 },
  options: {
    arch: { type: "string", value: "A", required: true, help: "the dom0's architecture (arm64, arm32, x86_64)" },
    "guest-mode": { type: "string", value: "32|64", help: "guest width (AArch32 dom0 on arm64 Xen, 32-bit PV on x86_64)" },
    guest: { type: "string", value: "pv|pvh", help: "x86: PV or PVH dom0" },
    xen: { type: "string", value: "IMAGE", required: true, help: "the Xen hypervisor image QEMU boots" },
    "xen-args": { type: "string", multiple: true, value: "ARGS", help: "more of Xen's command line (e.g. argo=1)" },
    script: { type: "string", value: "FILE", help: "a JSON list of calls ({call, command?, struct?, args?, calls?, allowUnclean?})" },
    struct: { type: "string", value: "JSON", help: "the command's struct members (with CALL COMMAND)" },
    timeout: { type: "string", value: "S", help: "seconds until the guest must have ended (default 60)" },
    console: { type: "boolean", help: "print Xen's console after the results" },
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
    const calls = callsOf(positionals, values.script, values.struct, context.cwd);
    const timeoutMs = parseSeconds(values.timeout ?? "60", "--timeout", 3600) * 1000;
    const report = await runXen({ flavour, abi, xen: { image: resolve(context.cwd, values.xen), args: values["xen-args"].flatMap((a) => a.split(/\s+/).filter(Boolean)) }, calls, run: { timeoutMs } });
    if (values.json) return toJson({ ...report, console: report.console.split(/\r?\n/) });
    return { text: render(report) + (values.console ? `\n${report.console}` : ""), code: report.completed ? 0 : 1 };
  },
});
