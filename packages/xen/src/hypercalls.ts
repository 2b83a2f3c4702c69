import { HypercallArgumentError, ValidationError, type EncodedHypercall, type Hypercall, type HypercallAbi, type HypercallValue } from "@handoff/core";
import { encodeCValue, type CValue } from "@handoff/core/c-abi";
import { xenTypes } from "./types.js";

/** Which kinds of guest Xen dispatches a hypercall for (the table in xen/include/hypercall-defs.c). */
export interface XenAvailability {
  readonly pv32: boolean;
  readonly pv64: boolean;
  readonly hvm32: boolean;
  readonly hvm64: boolean;
  readonly arm: boolean;
}

/** One sub-operation of a multiplexed hypercall (KEXEC_CMD_*, XEN_ARGO_OP_*, XENMEM_*). */
export interface XenCommand {
  readonly name: string;
  readonly value: number;
  /** The struct the (first) handle argument points at, if any. */
  readonly struct?: string;
  readonly description: string;
}

/** A Xen hypercall: core's number + typed arguments, plus its sub-commands and where it is available. */
export interface XenHypercall extends Hypercall {
  readonly commands: readonly XenCommand[];
  readonly availability: XenAvailability;
  /** Header / source the declaration follows. */
  readonly source: string;
}

const ALL: XenAvailability = { pv32: true, pv64: true, hvm32: true, hvm64: true, arm: true };

/**
 * `kexec_op(unsigned long op, void *uarg)` = 37 (public/xen.h
 * __HYPERVISOR_kexec_op; public/kexec.h). The compat entry takes `unsigned int
 * op`: for either guest the command is one register wide. Only PV guests on
 * x86 reach it (hypercall-defs.c: pv32 compat, pv64 do; no HVM, no Arm).
 */
export const KEXEC_OP: XenHypercall = {
  name: "kexec_op",
  number: 37,
  args: [
    { name: "op", kind: "scalar", width: "word", description: "KEXEC_CMD_*" },
    { name: "uarg", kind: "handle", description: "command struct" },
  ],
  commands: [
    { name: "exec", value: 0, struct: "xen_kexec_exec_t", description: "KEXEC_CMD_kexec: run the loaded image of `type`" },
    { name: "get_range", value: 3, struct: "xen_kexec_range_t", description: "KEXEC_CMD_kexec_get_range: address and size of a memory area" },
    { name: "load", value: 4, struct: "xen_kexec_load_t", description: "KEXEC_CMD_kexec_load: load a counted segment list" },
    { name: "unload", value: 5, struct: "xen_kexec_unload_t", description: "KEXEC_CMD_kexec_unload" },
    { name: "status", value: 6, struct: "xen_kexec_status_t", description: "KEXEC_CMD_kexec_status: 1 when an image is loaded" },
  ],
  availability: { pv32: true, pv64: true, hvm32: false, hvm64: false, arm: false },
  source: "xen/include/public/kexec.h; xen/include/hypercall-defs.c",
};

/**
 * `argo_op(unsigned int cmd, void *arg1, void *arg2, unsigned long arg3,
 * unsigned long arg4)` = 39. arg3 and arg4 are `unsigned long` in C but Xen
 * rejects values outside 32 bits ("Reject numeric hypercall args outside
 * 32-bit range", xen/common/argo.c do_argo_op), so their ABI width is 32.
 */
export const ARGO_OP: XenHypercall = {
  name: "argo_op",
  number: 39,
  args: [
    { name: "cmd", kind: "scalar", width: 32, description: "XEN_ARGO_OP_*" },
    { name: "arg1", kind: "handle" },
    { name: "arg2", kind: "handle" },
    { name: "arg3", kind: "scalar", width: 32, description: "unsigned long, must fit 32 bits" },
    { name: "arg4", kind: "scalar", width: 32, description: "unsigned long, must fit 32 bits" },
  ],
  commands: [
    { name: "register_ring", value: 1, struct: "xen_argo_register_ring_t", description: "arg2: xen_argo_gfn_t[] pages, arg3: npages, arg4: flags" },
    { name: "unregister_ring", value: 2, struct: "xen_argo_unregister_ring_t", description: "arg2 NULL, arg3 0, arg4 0" },
    { name: "sendv", value: 3, struct: "xen_argo_send_addr_t", description: "arg2: xen_argo_iov_t[niov], arg3: niov, arg4: message type" },
    { name: "notify", value: 4, struct: "xen_argo_ring_data_t", description: "arg1 may be NULL; arg2 NULL, arg3 0, arg4 0" },
  ],
  availability: ALL,
  source: "xen/include/public/argo.h; xen/common/argo.c",
};

/** `multicall(multicall_entry_t call_list[], unsigned long nr_calls)` = 13 (public/xen.h). */
export const MULTICALL: XenHypercall = {
  name: "multicall",
  number: 13,
  args: [
    { name: "call_list", kind: "handle", struct: "multicall_entry_t" },
    { name: "nr_calls", kind: "scalar", width: "word" },
  ],
  commands: [],
  availability: ALL,
  source: "xen/include/public/xen.h",
};

/**
 * `memory_op(unsigned long cmd, void *arg)` = 12 (public/memory.h); the
 * compat entry takes `unsigned int cmd`. A useful subset of XENMEM_*.
 */
export const MEMORY_OP: XenHypercall = {
  name: "memory_op",
  number: 12,
  args: [
    { name: "cmd", kind: "scalar", width: "word", description: "XENMEM_*" },
    { name: "arg", kind: "handle" },
  ],
  commands: [
    { name: "increase_reservation", value: 0, struct: "xen_memory_reservation_t", description: "allocate extents; OUT: MFN bases" },
    { name: "decrease_reservation", value: 1, struct: "xen_memory_reservation_t", description: "free the GMFN extents listed" },
    { name: "maximum_ram_page", value: 2, description: "arg NULL; returns the highest MFN of RAM" },
    { name: "current_reservation", value: 3, struct: "xen_memory_domain_t", description: "pages of a domain's reservation" },
    { name: "maximum_reservation", value: 4, struct: "xen_memory_domain_t", description: "maximum pages of a domain" },
    { name: "populate_physmap", value: 6, struct: "xen_memory_reservation_t", description: "populate GPFN extents" },
    { name: "add_to_physmap", value: 7, struct: "xen_add_to_physmap_t", description: "map a page of a space at a GPFN" },
    { name: "memory_map", value: 9, struct: "xen_memory_map_t", description: "the domain's e820-style memory map (e820entry_t[])" },
    { name: "machine_memory_map", value: 10, struct: "xen_memory_map_t", description: "the machine's e820 map (hardware domain only)" },
    { name: "exchange", value: 11, struct: "xen_memory_exchange_t", description: "exchange extents atomically (PV only)" },
    { name: "machphys_mapping", value: 12, struct: "xen_machphys_mapping_t", description: "where the M2P table is mapped" },
    { name: "remove_from_physmap", value: 15, struct: "xen_remove_from_physmap_t", description: "unmap the page at a GPFN" },
    { name: "add_to_physmap_batch", value: 23, struct: "xen_add_to_physmap_batch_t", description: "batched add_to_physmap" },
  ],
  availability: ALL,
  source: "xen/include/public/memory.h",
};

/** Rows of a command list: name, value, struct (or undefined), description. */
function commands(rows: readonly (readonly [string, number, string | undefined, string])[]): XenCommand[] {
  return rows.map(([name, value, struct, description]) => ({ name, value, ...(struct ? { struct } : {}), description }));
}

/** The `(int cmd, void *arg)` hypercalls: a command and the handle of its struct. */
function commandHypercall(name: string, number: number, what: string, rows: Parameters<typeof commands>[0], source: string): XenHypercall {
  return {
    name,
    number,
    args: [
      { name: "cmd", kind: "scalar", width: 32, signed: true, description: what },
      { name: "arg", kind: "handle" },
    ],
    commands: commands(rows),
    availability: ALL,
    source,
  };
}

/** `xen_version(int cmd, void *arg)` = 17 (public/version.h); XENVER_version returns (major << 16) | minor. */
export const XEN_VERSION = commandHypercall("xen_version", 17, "XENVER_*", [
  ["version", 0, undefined, "arg NULL; returns (major << 16) | minor"],
  ["extraversion", 1, "xen_extraversion_t", "OUT: e.g. '.7'"],
  ["compile_info", 2, "xen_compile_info_t", "OUT: compiler, builder, date"],
  ["capabilities", 3, "xen_capabilities_info_t", "OUT: e.g. 'xen-3.0-aarch64 xen-3.0-armv7l '"],
  ["changeset", 4, "xen_changeset_info_t", "OUT: source changeset"],
  ["platform_parameters", 5, "xen_platform_parameters_t", "OUT: virt_start"],
  ["get_features", 6, "xen_feature_info_t", "IN submap_idx, OUT submap"],
  ["pagesize", 7, undefined, "arg NULL; returns the page size"],
  ["commandline", 9, "xen_commandline_t", "OUT: Xen's command line (privileged)"],
], "xen/include/public/version.h");

/** `console_io(int cmd, int count, char *str)` = 18 (public/xen.h CONSOLEIO_*); the handle is the third argument. */
export const CONSOLE_IO: XenHypercall = {
  name: "console_io",
  number: 18,
  args: [
    { name: "cmd", kind: "scalar", width: 32, signed: true, description: "CONSOLEIO_write 0, CONSOLEIO_read 1" },
    { name: "count", kind: "scalar", width: 32, signed: true, description: "bytes" },
    { name: "buffer", kind: "handle" },
  ],
  commands: commands([
    ["write", 0, undefined, "write `count` bytes of `buffer` to Xen's console"],
    ["read", 1, undefined, "read up to `count` bytes of Xen's console ring into `buffer`; returns the count"],
  ]),
  availability: ALL,
  source: "xen/include/public/xen.h",
};

/** `sched_op(int cmd, void *arg)` = 29 (public/sched.h). */
export const SCHED_OP = commandHypercall("sched_op", 29, "SCHEDOP_*", [
  ["yield", 0, undefined, "arg NULL"],
  ["block", 1, undefined, "arg NULL"],
  ["shutdown", 2, "sched_shutdown_t", "reason: SHUTDOWN_poweroff 0, reboot 1, suspend 2, crash 3"],
  ["remote_shutdown", 4, "sched_remote_shutdown_t", "shut another domain down"],
], "xen/include/public/sched.h");

/** `event_channel_op(int cmd, void *arg)` = 32 (public/event_channel.h). */
// Each EVTCHNOP_x takes a struct evtchn_x (evtchn_x_t).
export const EVENT_CHANNEL_OP = commandHypercall("event_channel_op", 32, "EVTCHNOP_*", ([
  ["bind_interdomain", 0, "OUT local_port"],
  ["bind_virq", 1, "OUT port"],
  ["close", 3, "close a local port"],
  ["send", 4, "signal a local port's remote end"],
  ["status", 5, "OUT state of <dom, port>"],
  ["alloc_unbound", 6, "OUT port, for remote_dom to bind"],
  ["unmask", 9, "unmask a local port"],
] as const).map(([name, value, description]) => [name, value, `evtchn_${name}_t`, description] as const), "xen/include/public/event_channel.h");

/** The catalogue, by number. */
export const XEN_HYPERCALLS: readonly XenHypercall[] = [MEMORY_OP, MULTICALL, XEN_VERSION, CONSOLE_IO, SCHED_OP, EVENT_CHANNEL_OP, KEXEC_OP, ARGO_OP];

/** A hypercall of the catalogue by number (for `HypercallAbi.decode`'s lookup). */
export function findXenHypercall(nr: bigint | number): XenHypercall | undefined {
  return XEN_HYPERCALLS.find((h) => BigInt(h.number) === BigInt(nr));
}

/** A hypercall of the catalogue by name, or a typed error listing the names. */
export function xenHypercall(name: string): XenHypercall {
  const h = XEN_HYPERCALLS.find((x) => x.name === name);
  if (!h) throw new ValidationError("xen hypercall", `unknown '${name}' (known: ${XEN_HYPERCALLS.map((x) => x.name).join(", ")})`);
  return h;
}

/** A command of `call` by name or number, or a typed error listing them. */
export function xenCommand(call: XenHypercall, nameOrValue: string | number | bigint): XenCommand {
  const c = call.commands.find((x) => x.name === nameOrValue || (typeof nameOrValue !== "string" && BigInt(x.value) === BigInt(nameOrValue)));
  if (!c) throw new ValidationError(`${call.name} command`, `unknown '${String(nameOrValue)}' (known: ${call.commands.map((x) => x.name).join(", ") || "none"})`);
  return c;
}

/**
 * Encode `call`'s `command` with its struct: the struct is laid out for the
 * guest's ABI, placed at `address`, and its handle passed as the second
 * argument. `extraArgs` fill the remaining arguments (argo's arg2..arg4).
 */
export function encodeXenCommand(
  abi: HypercallAbi,
  call: XenHypercall,
  command: XenCommand,
  struct: CValue | undefined,
  options: { readonly address: bigint; readonly guestBits?: 32 | 64; readonly extraArgs?: readonly HypercallValue[] },
): EncodedHypercall & { readonly structBytes?: Uint8Array } {
  const env = xenTypes(abi, options.guestBits);
  let handle: HypercallValue = 0n;
  let structBytes: Uint8Array | undefined;
  if (command.struct && struct !== undefined) {
    structBytes = encodeCValue(env.layout(command.struct), struct);
    handle = { address: options.address, bytes: structBytes };
  } else if (command.struct) {
    throw new HypercallArgumentError(call.name, call.args[1]?.name ?? "arg", `${command.name} needs a ${command.struct}`);
  }
  const args: HypercallValue[] = [BigInt(command.value), handle, ...(options.extraArgs ?? [])];
  while (args.length < call.args.length) args.push(0n);
  const encoded = abi.encode(call, args, { guestBits: options.guestBits });
  const buffers = encoded.buffers.map((b) => (b.address === options.address && command.struct ? { ...b, label: command.struct } : b));
  return { ...encoded, buffers, ...(structBytes ? { structBytes } : {}) };
}
