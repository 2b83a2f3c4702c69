import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { HandoffError } from "@handoff/core";
import { archsCommand } from "./commands/archs.js";
import { loadArchitectures } from "./container.js";
// Command modules are imported when their command runs: `plan` should not pay
// for loading QEMU's or Xen's packages (start-up is part of every measurement).

/** The usage text `handoff` prints when run with no command or with `--help`. */
export const USAGE = `usage: handoff <command> [options]

commands:
  archs [--json]            installed architectures, their registers and widths
  plan --arch A --kernel K [--initrd I] [--cmdline C] [--memory SIZE | --memmap FILE]
       [--kernel-format raw --load-addr ADDR [--entry ADDR]] [--load-addr BASE] [--use-zero]
       [--page-tables none|default|FORMAT] [--digest sha256] [--svg FILE] [--json]
                            segments with destinations, the kexec relocation list,
                            identity page tables over exactly the segments, per-segment digests;
                            --svg draws the physical memory map
  pagetable --arch A [--format ID] --map VA:PA:SIZE[:wxud] ... [--policy first-n-gib --gib N | all-ram --memory SIZE]
            [--table-base ADDR] [--page-zero] [--out FILE] [--json]
                            build translation tables, walk them, print root, table pages, registers
  hypercall encode --arch A [--guest-mode 32|64] CALL [COMMAND] [VALUE...]
            [--image FILE [--load-addr ADDR] [--entry ADDR] [--buffer-addr ADDR (default 0x100000)] [--crash]]
                            Xen hypercall registers and in-memory structs (kexec_op load --image FILE)
  hypercall decode --arch A [--guest-mode 32|64] --reg NAME=VALUE... [--struct FILE]
                            read a hypercall from registers with the width rules
  hypercall layout --arch A [--guest-mode 32|64] [STRUCT...]
                            C layout of Xen's structs for the arch
  inspect FILE [--json] [--paddr-offset ADDR] [--svg FILE]
                            what a boot image is: format, arch, entry (phys/virt),
                            segments, notes, protocol header fields
  link --arch A OBJ --at ADDR [--set SYM=VALUE ...] --out FILE [--json]
                            link a relocatable object (purgatory) at ADDR: sections
                            .text, .rodata, .data, .bss in that order; --set defines
                            an undefined symbol or stores into a data object
  build --arch A [--protocol P] (--kernel FLAT | --probe) --out DIR [--vmm-selectors]
        [--entry-mode el1|el2|svc|hyp] [--svg FILE] [--json]
                            bootable artefact (x86: PVH ELF; arm: loader blobs) + plan.json
  boot --arch A [--protocol P] (--kernel FLAT | --probe) [--timeout S] [--no-native] [--json]
                            build and run in qemu-system-*; --probe compares every register
                            with the promised hand-off state and lists QEMU's own leftovers
  build|boot --arch A --kernel LINUX [--initrd FILE] [--cmdline TEXT] [--protocol P]
                            a real kernel (bzImage, arm64 Image, zImage) through handoff's stub
  initramfs --busybox FILE --out FILE
                            newc initramfs: /init prints HANDOFF-MARKER: <handoff.marker=> and powers off

global options:
  --plugin NAME             load an extra architecture package (repeatable)
  --json                    machine-readable output
  -h, --help                this text`;

/** A command-line mistake: printed as one line with the usage hint. */
export class UsageError extends HandoffError {
  readonly code = "E_USAGE";
  constructor(message: string) {
    super(message);
  }
}

/** Where the CLI writes and what it resolves relative paths against (injected so tests can capture output). */
export interface Io {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  readonly cwd: string;
}

/** Run the CLI; returns the exit code. Never throws for user mistakes. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    switch (command) {
      case "archs": {
        const { values } = parse(rest, { json: { type: "boolean" }, plugin: { type: "string", multiple: true } });
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        io.out(archsCommand(loaded, values.json === true));
        return 0;
      }
      case "plan": {
        const { planCommand } = await import("./commands/plan.js");
        const { values, positionals } = parse(rest, {
          arch: { type: "string" },
          kernel: { type: "string" },
          "kernel-format": { type: "string" },
          "load-addr": { type: "string" },
          entry: { type: "string" },
          initrd: { type: "string" },
          cmdline: { type: "string" },
          memory: { type: "string" },
          memmap: { type: "string" },
          "use-zero": { type: "boolean" },
          "page-tables": { type: "string" },
          digest: { type: "string" },
          svg: { type: "string" },
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
        });
        if (positionals.length > 0) throw new UsageError(`plan: unexpected argument '${positionals[0]}'`);
        if (typeof values.arch !== "string") throw new UsageError("plan: --arch is required");
        if (typeof values.kernel !== "string") throw new UsageError("plan: --kernel is required");
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const str = (v: unknown) => (typeof v === "string" ? v : undefined);
        io.out(
          await planCommand(
            {
              arch: loaded.registry.get(values.arch),
              kernel: values.kernel,
              kernelFormat: str(values["kernel-format"]),
              loadAddr: str(values["load-addr"]),
              entry: str(values.entry),
              initrd: str(values.initrd),
              cmdline: str(values.cmdline),
              memory: str(values.memory),
              memmap: str(values.memmap),
              useZero: values["use-zero"] === true,
              pageTables: str(values["page-tables"]),
              digest: str(values.digest),
              svg: str(values.svg),
              cwd: io.cwd,
            },
            values.json === true,
          ),
        );
        return 0;
      }
      case "hypercall": {
        const { hypercallDecode, hypercallEncode, hypercallLayout } = await import("./commands/hypercall.js");
        const { values, positionals } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          arch: { type: "string" },
          "guest-mode": { type: "string" },
          image: { type: "string" },
          "load-addr": { type: "string" },
          entry: { type: "string" },
          "buffer-addr": { type: "string" },
          crash: { type: "boolean" },
          reg: { type: "string", multiple: true },
          struct: { type: "string" },
        });
        const [sub, ...args] = positionals;
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const options = {
          arch: values.arch as string | undefined,
          guestMode: values["guest-mode"] as string | undefined,
          image: values.image as string | undefined,
          loadAddr: values["load-addr"] as string | undefined,
          entry: values.entry as string | undefined,
          bufferAddr: values["buffer-addr"] as string | undefined,
          crash: values.crash === true,
          reg: values.reg as string[] | undefined,
          structFile: values.struct as string | undefined,
          json: values.json === true,
          cwd: io.cwd,
        };
        if (sub === "encode") io.out(hypercallEncode(loaded, args, options));
        else if (sub === "decode") io.out(hypercallDecode(loaded, options));
        else if (sub === "layout") io.out(hypercallLayout(loaded, args, options));
        else throw new UsageError(`hypercall: expected encode, decode or layout, got '${sub ?? ""}'`);
        return 0;
      }
      case "inspect": {
        const { inspectCommand } = await import("./commands/inspect.js");
        const { values, positionals } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          "paddr-offset": { type: "string" },
          svg: { type: "string" },
        });
        if (positionals.length !== 1) throw new UsageError("inspect takes exactly one FILE (try 'handoff --help')");
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const offset = values["paddr-offset"] as string | undefined;
        io.out(inspectCommand(positionals[0]!, loaded, { json: values.json === true, ...(typeof values.svg === "string" ? { svg: resolve(io.cwd, values.svg) } : {}), ...(offset === undefined ? {} : { paddrOffset: parseAddress(offset, "--paddr-offset") }) }));
        return 0;
      }
      case "link": {
        const { linkCommand } = await import("./commands/link.js");
        const { values, positionals } = parse(rest, {
          arch: { type: "string" },
          at: { type: "string" },
          set: { type: "string", multiple: true },
          out: { type: "string" },
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
        });
        if (positionals.length !== 1) throw new UsageError("link takes exactly one OBJ (try 'handoff --help')");
        for (const required of ["arch", "at", "out"] as const) {
          if (typeof values[required] !== "string") throw new UsageError(`link needs --${required} (try 'handoff --help')`);
        }
        const set = new Map<string, bigint>();
        for (const item of (values.set as string[] | undefined) ?? []) {
          const eq = item.indexOf("=");
          if (eq <= 0) throw new UsageError(`--set ${item}: expected SYM=VALUE`);
          const name = item.slice(0, eq);
          if (set.has(name)) throw new UsageError(`--set ${name} is given twice`);
          set.set(name, parseAddress(item.slice(eq + 1), `--set ${name}`));
        }
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        io.out(
          linkCommand(loaded, {
            arch: values.arch as string,
            object: positionals[0]!,
            at: parseAddress(values.at as string, "--at"),
            set,
            out: values.out as string,
            json: values.json === true,
          }),
        );
        return 0;
      }
      case "build":
      case "boot": {
        const { bootCommand } = await import("./commands/boot.js");
        const { buildCommand } = await import("./commands/build.js");
        const { values } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          arch: { type: "string" },
          protocol: { type: "string" },
          kernel: { type: "string" },
          probe: { type: "boolean" },
          "vmm-selectors": { type: "boolean" },
          "entry-mode": { type: "string" },
          out: { type: "string" },
          timeout: { type: "string" },
          "no-native": { type: "boolean" },
          initrd: { type: "string" },
          cmdline: { type: "string" },
          svg: { type: "string" },
        });
        if (!values.arch) throw new UsageError(`${command} needs --arch`);
        if (!values.kernel && values.probe !== true) throw new UsageError(`${command} needs --kernel FILE or --probe`);
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const common = {
          arch: values.arch as string,
          protocol: values.protocol as string | undefined,
          kernel: values.kernel as string | undefined,
          probe: values.probe === true,
          vmmSelectors: values["vmm-selectors"] === true,
          entryMode: values["entry-mode"] as string | undefined,
          json: values.json === true,
          initrd: values.initrd as string | undefined,
          cmdline: values.cmdline as string | undefined,
        };
        if (command === "build") {
          if (!values.out) throw new UsageError("build needs --out DIR");
          io.out(buildCommand(loaded, { ...common, out: values.out as string, ...(typeof values.svg === "string" ? { svg: values.svg } : {}) }, io.cwd));
          return 0;
        }
        const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) throw new UsageError("--timeout must be a number of seconds in (0, 3600]");
        const r = await bootCommand(loaded, { ...common, timeout, native: values["no-native"] !== true }, io.cwd, {
          write: (s) => process.stdout.write(s),
          // Progress only on a terminal: pipes and --json stay clean.
          progress: process.stderr.isTTY ? (s) => process.stderr.write(`${s}\n`) : undefined,
        });
        if (r.text) io.out(r.text);
        return r.ok ? 0 : 1;
      }
      case "pagetable": {
        const { pagetableCommand } = await import("./commands/pagetable.js");
        const { values } = parse(rest, {
          json: { type: "boolean" },
          plugin: { type: "string", multiple: true },
          arch: { type: "string" },
          format: { type: "string" },
          map: { type: "string", multiple: true },
          policy: { type: "string" },
          gib: { type: "string" },
          memory: { type: "string" },
          "table-base": { type: "string" },
          "page-zero": { type: "boolean" },
          out: { type: "string" },
        });
        const loaded = await loadArchitectures({ cwd: io.cwd, extraPlugins: values.plugin as string[] | undefined });
        const result = pagetableCommand(loaded, {
          arch: values.arch as string | undefined,
          format: values.format as string | undefined,
          maps: (values.map as string[] | undefined) ?? [],
          policy: values.policy as string | undefined,
          gib: values.gib as string | undefined,
          memory: values.memory as string | undefined,
          tableBase: values["table-base"] as string | undefined,
          pageZero: values["page-zero"] === true,
          out: values.out as string | undefined,
          json: values.json === true,
        });
        io.out(result.output);
        return result.code;
      }
      case "initramfs": {
        const { initramfsCommand } = await import("./commands/initramfs.js");
        const { values } = parse(rest, { busybox: { type: "string" }, out: { type: "string" } });
        if (typeof values.busybox !== "string" || typeof values.out !== "string") throw new UsageError("initramfs needs --busybox FILE --out FILE");
        io.out(initramfsCommand({ busybox: values.busybox, out: values.out }, io.cwd));
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}' (try 'handoff --help')`);
    }
  } catch (error) {
    if (error instanceof HandoffError) {
      io.err(`handoff: ${error.message}`);
      return error instanceof UsageError ? 2 : 1;
    }
    const e = error as Error;
    io.err(`handoff: internal error: ${e?.message ?? String(error)}${process.env.HANDOFF_DEBUG ? `\n${e?.stack}` : " (set HANDOFF_DEBUG=1 for a trace)"}`);
    return 70;
  }
}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

/** parseArgs with its errors turned into one-line usage errors. */
function parse<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError((cause as Error).message.split("\n")[0] ?? "bad arguments");
  }
}

/** A command-line address or size: decimal or 0x-hex, 0 <= value < 2^64. */
export function parseAddress(text: string, option: string): bigint {
  if (!/^(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(text)) throw new UsageError(`${option}: '${text}' is not a number (decimal or 0x-hex)`);
  const value = BigInt(text.replaceAll("_", ""));
  if (value >= 1n << 64n) throw new UsageError(`${option}: '${text}' does not fit in 64 bits`);
  return value;
}
