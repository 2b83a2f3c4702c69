import { hex } from "@handoff/core";
import { bootAndProbe, bootAndStream, QemuError, qemuBinary, type ProbeReport, type RegisterComparison } from "@handoff/qemu";
import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { parseSeconds } from "../numbers.js";
import { table, toJson } from "../output.js";
import { ARTEFACT_OPTIONS, artefactOptions } from "./artefact-options.js";
import { artefactFor } from "./handoff-artefacts.js";

const row = (r: RegisterComparison) => [r.name, hex(r.expected), hex(r.observed), r.match ? (r.deviation ? "ok*" : "ok") : "DIFFERS", r.provenance.kind === "protocol" ? "protocol" : "forced zero"];

function probeJson(p: ProbeReport) {
  return {
    ...p,
    registers: p.registers.map((r) => ({ name: r.name, expected: r.expected, observed: r.observed, match: r.match, provenance: r.provenance, ...(r.deviation ? { emulatorDeviation: r.deviation } : {}) })),
  };
}

function renderProbe(p: ProbeReport): string {
  const lines = [
    `${p.arch} ${p.protocol} hand-off, probe at ${hex(p.entry)}: ${p.ok ? "every register QEMU reports equals the promised state" : "MISMATCH"}`,
    table(["register", "expected", "observed", "", "provenance"], p.registers.map(row)),
    ...p.registers.filter((r) => r.deviation).map((r) => `* ${r.name}: ${r.deviation}`),
    ...p.memory.map((m) => `memory ${m.segment} ${hex(m.mem)}+${hex(m.memsz)}: ${m.equal ? "equals the segment" : `differs at ${hex(m.firstDifferenceAt!)}`}`),
  ];
  const left = p.qemuLoaderLeftovers;
  if (left) {
    const where = `QEMU's own loader (-kernel, ${p.qemuLoaderProtocol} entry)`;
    lines.push(left.length ? `${where} leaves leftovers in registers that protocol leaves undefined: ${left.map((l) => `${l.name}=${hex(l.value)}`).join(" ")}` : `${where} left no leftovers in the registers it reports`);
  }
  return lines.join("\n");
}

/** A QEMU CPU model with optional `,feature=value` list: letters, digits and `._+-=,`, starting with a letter or digit. */
const CPU_MODEL = /^[A-Za-z0-9][A-Za-z0-9._+=,-]*$/;

/** `--cpu`, checked so that QEMU is never handed a second option or an empty model. */
function cpuModel(value: string | undefined): string | undefined {
  if (value !== undefined && !CPU_MODEL.test(value)) throw new UsageError(`boot: --cpu '${value}' is not a QEMU CPU model (e.g. max, qemu64, cortex-a57)`, "boot");
  return value;
}

/** Why a streamed boot failed, by how it ended. */
const ENDINGS = {
  "guest-reset": "the guest reset the machine (a triple fault, or a reboot request: QEMU runs with -no-reboot); the console up to then is above",
  "guest-panic": "the guest reported a panic (pvpanic); the console up to then is above",
} as const;

/** `handoff boot` */
export const command = defineCommand({
  options: {
    ...ARTEFACT_OPTIONS,
    timeout: { type: "string", value: "S", help: "seconds to wait: for the probe's entry, or to stream the console (default 30)" },
    "no-native": { type: "boolean", help: "--probe: skip the comparison boot through QEMU's own loader" },
    cpu: { type: "string", value: "MODEL", help: "QEMU's CPU model (-cpu), optionally with features, e.g. max (x86 with LA57: 5-level paging) (default: the arch's)" },
  },
  async run({ values }, context) {
    if (!values.kernel && !values.probe) throw new UsageError("boot: give --kernel FILE or --probe", "boot");
    const timeoutMs = parseSeconds(values.timeout ?? "30", "--timeout", 3600) * 1000;
    const cpu = cpuModel(values.cpu);
    const loaded = await context.architectures(values.arch);
    const { arch, builder, artefact } = await artefactFor(loaded, artefactOptions(values), context.cwd);
    if (!values.probe) {
      const { serial, ending } = await bootAndStream({ artefact, timeoutMs, cpu, progress: context.progress, onSerial: values.json ? undefined : context.stream });
      // A reset (QEMU runs with -no-reboot) or a reported panic is a failed boot: say so, exit 1.
      const failed = ending === "guest-reset" || ending === "guest-panic";
      if (values.json) return { text: toJson({ arch: artefact.arch, protocol: artefact.protocol, ending, serial }), code: failed ? 1 : 0 };
      if (failed) throw new QemuError(qemuBinary(artefact.arch), "boot", ENDINGS[ending]);
      return "";
    }
    const report = await bootAndProbe({ artefact, arch, timeoutMs, cpu, progress: context.progress, ...(values["no-native"] ? {} : { native: builder.nativeProbe() }) });
    return { text: values.json ? toJson(probeJson(report)) : renderProbe(report), code: report.ok ? 0 : 1 };
  },
});
