import { resolve } from "node:path";
import { DEFAULT_BOOT_FILE_LIMITS, readFileBounded } from "@handoff/node";
import { parseAddress, parseValue } from "../numbers.js";
import { ValidationError, hex, MemoryMap, rebaseImage, type Architecture, type EncodedHypercall, type GuestBuffer, type HypercallAbi, type HypercallValue, type Image } from "@handoff/core";
import { Placer } from "@handoff/core/kexec";
import { type Layout, readCValue } from "@handoff/core/c-abi";
import { KEXEC_OP, KEXEC_TYPE_CRASH, KEXEC_TYPE_DEFAULT, XEN_HYPERCALLS, MULTICALL, XEN_STRUCT_NAMES, decodeMulticall, findXenHypercall, planKexecLoad, xenCommand, xenHypercall, xenTypes, type XenHypercall } from "@handoff/xen";
import type { LoadedArchitectures } from "../container.js";
import { table, toJson } from "../output.js";

/** Options of `handoff hypercall ...` after parsing. */
export interface HypercallOptions {
  readonly arch?: string;
  readonly guestMode?: string;
  readonly image?: string;
  readonly loadAddr?: string;
  readonly entry?: string;
  readonly bufferAddr?: string;
  readonly crash?: boolean;
  readonly reg?: readonly string[];
  /** Bytes of the struct the call's handle points at (decode). */
  readonly structFile?: string;
  readonly json?: boolean;
  readonly cwd: string;
}

/** A command-line value error, reported as one line (exit 1). */
function bad(what: string, reason: string): ValidationError {
  return new ValidationError(what, reason);
}

/** Hypercall arguments and register values: the CLI's one number grammar, negative decimals allowed. */
const parseNumber = parseValue;

function guestBitsOf(abi: HypercallAbi, mode: string | undefined): 32 | 64 | undefined {
  if (mode === undefined) return undefined;
  if (mode !== "32" && mode !== "64") throw bad("--guest-mode", `'${mode}' must be 32 or 64`);
  const bits = Number(mode) as 32 | 64;
  abi.convention(bits); // typed error when the arch has no such guest
  return bits;
}

function abiOf(loaded: LoadedArchitectures, archId: string | undefined): { arch: Architecture; abi: HypercallAbi } {
  if (!archId) throw bad("--arch", "required (e.g. --arch arm64)");
  const arch = loaded.registry.get(archId);
  if (!arch.hypercallAbi) throw bad(archId, "has no hypercall ABI");
  return { arch, abi: arch.hypercallAbi };
}

/**
 * Load `path` with the first of the arch's image formats that recognises it;
 * otherwise as one raw segment at `--load-addr` (entry = --entry or the load
 * address).
 */
/** Lowest base with the image's alignment in 512 MiB of the arch's default machine. */
function defaultBase(arch: Architecture, image: Image, path: string): bigint {
  const p = image.placement;
  const layout = arch.defaultMachine;
  if (p?.kind !== "relocatable" || layout === undefined) throw bad(path, `${image.format} is relocatable and ${arch.id} has no default machine: give --load-addr`);
  const end = image.segments.reduce((e, s) => (s.mem + s.memsz > e ? s.mem + s.memsz : e), p.base);
  const placer = new Placer(MemoryMap.fromMachine(512n << 20n, layout), arch.pageSize);
  return placer.find({ label: `${image.format} image`, size: end - p.base, align: p.alignment, direction: "bottom-up" });
}

export function loadImage(arch: Architecture, path: string, loadAddr: bigint | undefined, entry: bigint | undefined): Image {
  const { bytes } = readFileBounded(path, { role: "image", maxBytes: DEFAULT_BOOT_FILE_LIMITS.kernel });
  for (const format of arch.imageFormats) {
    if (!format.probe({ path, bytes })) continue;
    const image = format.parse({ path, bytes });
    if (image.placement?.kind !== "relocatable") return image;
    // A relocatable image (arm64 Image, PIC zImage) has no address of its own:
    // without --load-addr it goes where `handoff plan` would put it, the lowest
    // aligned base in the arch's default machine.
    return rebaseImage(image, loadAddr ?? defaultBase(arch, image, path));
  }
  if (loadAddr === undefined) {
    throw bad(path, `no ${arch.id} image format recognises it (have: ${arch.imageFormats.map((f) => f.id).join(", ") || "none"}); give --load-addr to load it as one raw segment`);
  }
  const size = BigInt(bytes.length);
  return {
    format: "raw",
    arch: arch.id,
    entry: { phys: entry ?? loadAddr },
    segments: [{ data: { kind: "file", path, offset: 0, length: Number(size) }, bufsz: size, mem: loadAddr, memsz: size, role: "kernel", name: "raw" }],
    metadata: {},
    source: { path, size: Number(size) },
  };
}

function describeBuffer(b: GuestBuffer) {
  const source = b.data.kind === "file" ? `file ${b.data.path} @${hex(b.data.offset)}` : b.data.kind === "bytes" ? "bytes" : "zero";
  return {
    address: b.address,
    length: b.length,
    label: b.label,
    source,
    ...(b.data.kind === "bytes" && b.data.bytes.length <= 4096 ? { hex: Buffer.from(b.data.bytes).toString("hex") } : {}),
  };
}

function describeEncoded(arch: Architecture, enc: EncodedHypercall, extra: Record<string, unknown>) {
  const c = enc.convention;
  return {
    arch: arch.id,
    convention: c.id,
    guestBits: c.guestBits,
    call: { name: enc.call.name, number: enc.call.number },
    ...extra,
    registers: enc.assignments.map((a) => ({ register: a.register, value: a.value, argument: a.argument })),
    instructions: c.instructions.map((i) => ({ mnemonic: i.mnemonic, isa: i.isa, bytes: Buffer.from(i.bytes).toString("hex"), usedBy: i.usedBy })),
    ...(c.page ? { hypercallPageOffset: enc.call.number * c.page.stride } : {}),
    result: c.resultRegister,
    clobbered: enc.clobbered,
    buffers: enc.buffers.map(describeBuffer),
  };
}

function renderEncoded(d: ReturnType<typeof describeEncoded>, notes: readonly string[]): string {
  const lines = [
    `${d.call.name} (${d.call.number}) for a ${d.guestBits}-bit ${d.arch} guest (${d.convention})`,
    "",
    table(["register", "value", "argument"], d.registers.map((r) => [r.register, hex(r.value), r.argument])),
    "",
    `trap: ${d.instructions.map((i) => `${i.mnemonic} [${i.isa}: ${i.bytes}] (${i.usedBy})`).join("; ")}`,
    ...(d.hypercallPageOffset !== undefined ? [`hypercall page: call hypercall_page + ${hex(d.hypercallPageOffset)}`] : []),
    `result: ${d.result}; clobbered: ${d.clobbered.join(", ") || "-"}`,
  ];
  if (d.buffers.length) {
    lines.push("", table(["address", "length", "contents", "source"], d.buffers.map((b) => [hex(b.address), hex(b.length), b.label, b.source])));
  }
  for (const n of notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

function availabilityNote(call: XenHypercall, arch: Architecture): string[] {
  const a = call.availability;
  const arm = arch.id.startsWith("arm");
  if (arm && !a.arm) return [`Xen does not dispatch ${call.name} for Arm guests (xen/include/hypercall-defs.c); it returns -ENOSYS`];
  if (!arm && !a.hvm64 && !a.hvm32) return [`Xen dispatches ${call.name} for PV guests only (xen/include/hypercall-defs.c)`];
  return [];
}

/** `handoff hypercall encode --arch A [--guest-mode 32|64] CALL [COMMAND] [VALUE...]` */
export function hypercallEncode(loaded: LoadedArchitectures, positionals: readonly string[], o: HypercallOptions): string {
  const { arch, abi } = abiOf(loaded, o.arch);
  const guestBits = guestBitsOf(abi, o.guestMode);
  const [callName, commandName, ...values] = positionals;
  if (!callName) throw bad("hypercall encode", `name a hypercall (${XEN_HYPERCALLS.map((h) => h.name).join(", ")})`);
  const call = xenHypercall(callName);
  const notes = availabilityNote(call, arch);

  if (call === KEXEC_OP && commandName === "load") {
    if (!o.image) throw bad("kexec_op load", "--image FILE is required");
    const path = resolve(o.cwd, o.image);
    const image = loadImage(arch, path, o.loadAddr === undefined ? undefined : parseAddress(o.loadAddr, "--load-addr"), o.entry === undefined ? undefined : parseAddress(o.entry, "--entry"));
    const plan = planKexecLoad(abi, image, {
      elfMachine: arch.elfMachine,
      bufferBase: o.bufferAddr === undefined ? 0x100000n : parseAddress(o.bufferAddr, "--buffer-addr"),
      guestBits,
      type: o.crash ? KEXEC_TYPE_CRASH : KEXEC_TYPE_DEFAULT,
    });
    const d = describeEncoded(arch, plan.encoded, {
      command: { name: "load", value: 4 },
      image: { path, format: image.format, entry: image.entry.phys, segments: image.segments.length },
      load: { address: plan.load.address, struct: "xen_kexec_load_t", value: plan.load.value },
      segments: { address: plan.segments.address, struct: "xen_kexec_segment_t", count: plan.segments.values.length, entries: plan.segments.values },
    });
    if (o.json) return toJson({ ...d, notes });
    return [
      renderEncoded(d, notes),
      "",
      `xen_kexec_load_t @ ${hex(plan.load.address)}: type ${plan.load.value.type}, arch ${plan.load.value.arch}, nr_segments ${plan.load.value.nr_segments}, entry_maddr ${hex(image.entry.phys)}`,
      `xen_kexec_segment_t[${plan.segments.values.length}] @ ${hex(plan.segments.address)}:`,
      table(["#", "buf", "buf_size", "dest_maddr", "dest_size"], plan.segments.values.map((s, i) => [String(i), hex(s.buf), hex(s.buf_size), hex(s.dest_maddr), hex(s.dest_size)])),
    ].join("\n");
  }

  // Generic: a command name (or number) for the first argument, then values for the rest.
  const args: HypercallValue[] = [];
  let command: { name: string; value: number } | undefined;
  const rest = [...values];
  if (call.commands.length) {
    if (!commandName) throw bad(call.name, `name a command (${call.commands.map((c) => c.name).join(", ")})`);
    const c = /^[0-9]/.test(commandName) ? xenCommand(call, parseNumber(commandName, "command")) : xenCommand(call, commandName);
    command = { name: c.name, value: c.value };
    args.push(BigInt(c.value));
  } else if (commandName !== undefined) {
    rest.unshift(commandName);
  }
  for (const v of rest) args.push(parseNumber(v, `${call.name} argument ${args.length}`));
  while (args.length < call.args.length) args.push(0n);
  if (args.length > call.args.length) throw bad(call.name, `${args.length} values for ${call.args.length} arguments`);
  const enc = abi.encode(call, args, { guestBits });
  const d = describeEncoded(arch, enc, command ? { command } : {});
  return o.json ? toJson({ ...d, notes }) : renderEncoded(d, notes);
}

/** `handoff hypercall decode --arch A [--guest-mode 32|64] --reg NAME=VALUE...` */
export function hypercallDecode(loaded: LoadedArchitectures, o: HypercallOptions): string {
  const { arch, abi } = abiOf(loaded, o.arch);
  const guestBits = guestBitsOf(abi, o.guestMode) ?? abi.convention().guestBits;
  const registers = arch.createRegisterFile();
  for (const r of o.reg ?? []) {
    const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(r);
    if (!m) throw bad("--reg", `'${r}' is not NAME=VALUE`);
    registers.set(m[1]!, parseNumber(m[2]!, `--reg ${m[1]}`));
  }
  const d = abi.decode(registers, guestBits, findXenHypercall);
  const call = d.call as XenHypercall | undefined;
  const first = d.args[0];
  const command = call && call.commands.length && first ? call.commands.find((c) => BigInt(c.value) === first.value) : undefined;
  let struct: { name: string; value: unknown } | null = null;
  if (o.structFile) {
    const path = resolve(o.cwd, o.structFile);
    const { bytes } = readFileBounded(path, { role: "struct", maxBytes: 1 << 20 });
    if (call === MULTICALL) {
      const count = d.args[1]!.value;
      if (count > 4096n) throw bad("multicall nr_calls", `${count} is more than 4096`);
      const entries = decodeMulticall(abi, bytes, Number(count), { guestBits, label: path });
      struct = { name: `multicall_entry_t[${count}]`, value: entries.map((e) => ({ op: e.op, call: e.call?.name ?? null, result: e.result, args: e.args })) };
    } else if (command?.struct) {
      struct = { name: command.struct, value: readCValue(xenTypes(abi, guestBits).layout(command.struct), bytes, 0, { label: path }) };
    } else {
      throw bad("--struct", `${call?.name ?? "this call"}${command ? ` ${command.name}` : ""} passes no struct`);
    }
  }
  const out = {
    arch: arch.id,
    convention: d.convention.id,
    guestBits: d.convention.guestBits,
    number: d.number,
    call: call?.name ?? null,
    command: command ? { name: command.name, value: command.value, struct: command.struct ?? null } : null,
    args: d.args.map((a) => ({ name: a.name, register: a.register, value: a.value, kind: a.kind })),
    struct,
  };
  if (o.json) return toJson(out);
  return [
    `${out.call ?? "unknown hypercall"} (${d.number}) from a ${out.guestBits}-bit guest (${out.convention})${command ? `, command ${command.name}${command.struct ? ` -> ${command.struct}` : ""}` : ""}`,
    table(["argument", "register", "value"], out.args.map((a) => [a.name, a.register, hex(a.value)])),
    ...(struct ? ["", `${struct.name}:`, toJson(struct.value)] : []),
  ].join("\n");
}

function layoutRows(layout: Layout, base: number, prefix: string, rows: string[][]): void {
  if (layout.kind === "struct" || layout.kind === "union") {
    for (const f of layout.fields) {
      const path = prefix ? `${prefix}.${f.name}` : f.name;
      rows.push([path, String(base + f.offset), String(f.layout.size), String(f.layout.align), f.layout.cName]);
      layoutRows(f.layout, base + f.offset, path, rows);
    }
  }
}

function layoutJson(layout: Layout): Record<string, unknown> {
  const fields = layout.kind === "struct" || layout.kind === "union" ? layout.fields.map((f) => ({ name: f.name, offset: f.offset, ...layoutJson(f.layout) })) : undefined;
  return { type: layout.cName, kind: layout.kind, size: layout.size, align: layout.align, ...(fields ? { fields } : {}) };
}

/** `handoff hypercall layout --arch A [--guest-mode 32|64] [STRUCT...]` */
export function hypercallLayout(loaded: LoadedArchitectures, names: readonly string[], o: HypercallOptions): string {
  const { arch, abi } = abiOf(loaded, o.arch);
  const guestBits = guestBitsOf(abi, o.guestMode);
  const env = xenTypes(abi, guestBits);
  const wanted = names.length ? names : XEN_STRUCT_NAMES;
  for (const n of wanted) if (!env.has(n)) throw bad("hypercall layout", `unknown type '${n}' (known: ${XEN_STRUCT_NAMES.join(", ")})`);
  const conv = abi.convention(guestBits);
  if (o.json) {
    return toJson({ arch: arch.id, convention: conv.id, dataModel: env.dataModel.id, types: wanted.map((n) => ({ name: n, ...layoutJson(env.layout(n)) })) });
  }
  return wanted
    .map((n) => {
      const l = env.layout(n);
      const rows: string[][] = [];
      layoutRows(l, 0, "", rows);
      return `${n}: size ${l.size}, align ${l.align} (${arch.id}, ${conv.id}, ${env.dataModel.id})\n${table(["member", "offset", "size", "align", "type"], rows)}`;
    })
    .join("\n\n");
}

