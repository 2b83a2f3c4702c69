import { HypercallArgumentError, ValidationError, argumentBits, fitsSigned, fitsUnsigned, type HypercallAbi, type HypercallArgument } from "@handoff/core";
import { encodeCValue, type CTypeEnvironment, type Layout } from "@handoff/core/c-abi";
import { MULTICALL, xenCommand, xenHypercall, type XenCommand, type XenHypercall } from "../hypercalls.js";
import { xenTypes } from "../types.js";
import { CALL_ENTRY, DataBlock, NONCE_SIZE, scriptInteger, toCValue, type PendingRelocs, type RelocKind } from "./data-block.js";
import type { XenRunCallSpec } from "./script.js";

/** A buffer the payload's calls write into, read back after the run. */
export interface PlannedBuffer {
  readonly label: string;
  readonly offset: number;
  readonly size: number;
  /** Pages registered as an Argo ring (their first bytes are an xen_argo_ring_t). */
  readonly ring?: boolean;
  /** An output array: the catalogue type of its elements, decoded after the run. */
  readonly element?: string;
}

/** One call as planned: where its entry, struct and buffers are in the data block. */
export interface PlannedCall {
  readonly index: number;
  readonly call: XenHypercall;
  readonly command?: XenCommand;
  /** Offset of the call table entry (top level) or of the multicall_entry (inner). */
  readonly entry: number;
  readonly struct?: { readonly type: string; readonly offset: number };
  readonly buffers: readonly PlannedBuffer[];
  readonly inner?: readonly PlannedCall[];
  readonly args: readonly bigint[];
}

/** The payload's data block with everything needed to read the results back. */
export interface PlannedBlock {
  readonly block: Uint8Array;
  readonly nonce: Uint8Array;
  readonly guestBits: 32 | 64;
  readonly calls: readonly PlannedCall[];
  readonly callTable: number;
  /** The catalogue type of the start info the payload copies into the block (PVH). */
  readonly startInfo?: string;
  /** The bulk area ({ bytes } values): the image carries it from block offset BULK_OFFSET. */
  readonly bulk?: Uint8Array;
}

/** The rule a 32-bit guest's argument breaks, as Xen states it. */
export const THIRTY_TWO_BIT_RULE =
  "a 32-bit guest's hypercall arguments are 32 bits: Xen ignores the upper halves of its registers, and arguments in memory (multicall entries) must be 32-bit clean or Xen crashes the domain (xen/arch/arm/traps.c check_multicall_32bit_clean)";

interface Context {
  readonly env: CTypeEnvironment;
  readonly bits: 32 | 64;
  readonly block: DataBlock;
  readonly planned: PlannedCall[];
}

type Resolved = { value: bigint; kind?: RelocKind };

/** Turn a script value into a slot value, allocating what it points at in the block. */
function resolveValue(ctx: Context, v: unknown, where: string, buffers: PlannedBuffer[]): Resolved | undefined {
  const n = scriptInteger(v, where);
  if (n !== undefined) return { value: n };
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.text === "string") {
    const bytes = new TextEncoder().encode(o.text);
    const at = ctx.block.alloc(bytes.length, 8);
    ctx.block.put(at, bytes);
    return { value: BigInt(at), kind: "address" };
  }
  if (typeof o.zeros === "number") {
    const at = ctx.block.alloc(o.zeros, typeof o.align === "number" ? o.align : 8);
    buffers.push({ label: `${where} (${o.zeros} bytes)`, offset: at, size: o.zeros });
    return { value: BigInt(at), kind: "address" };
  }
  if (typeof o.frames === "number") return framesValue(ctx, o.frames, where, buffers);
  if (typeof o.type === "string" && typeof o.count === "number") return outputArray(ctx, o.type, o.count, where, buffers);
  if (typeof o.type === "string") return typedValue(ctx, o.type, o.value, where, buffers);
  if (typeof o.ref === "string") return refValue(ctx, o.ref, where);
  if (o.bytes instanceof Uint8Array) return { value: BigInt(ctx.block.bulk(o.bytes)), kind: "address" };
  return undefined;
}

function framesValue(ctx: Context, count: number, where: string, buffers: PlannedBuffer[]): Resolved {
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new ValidationError(where, `frames: ${count} is outside 1..64`);
  const region = ctx.block.alloc(count * 4096, 4096);
  buffers.push({ label: `${where} (${count} pages)`, offset: region, size: count * 4096, ring: true });
  const list = ctx.block.alloc(count * 8, 8);
  for (let i = 0; i < count; i++) {
    ctx.block.word(list + i * 8, BigInt(region / 4096 + i));
    ctx.block.reloc(list + i * 8, "frame");
  }
  return { value: BigInt(list), kind: "address" };
}

function typedValue(ctx: Context, type: string, value: unknown, where: string, buffers: PlannedBuffer[]): Resolved {
  const array = type.endsWith("[]");
  const element = ctx.env.layout(array ? type.slice(0, -2) : type);
  if (array && !Array.isArray(value)) throw new ValidationError(where, `${type} needs a list value`);
  const items = array ? (value as unknown[]) : [value];
  const at = ctx.block.alloc(Math.max(1, items.length) * element.size, Math.max(8, element.align));
  items.forEach((item, i) => placeStruct(ctx, element, item, at + i * element.size, `${where}[${i}]`, buffers));
  return { value: BigInt(at), kind: "address" };
}

/** `count` zeroed elements of `type` ("T[]") for a call to fill; read back and decoded as T. */
function outputArray(ctx: Context, type: string, count: number, where: string, buffers: PlannedBuffer[]): Resolved {
  if (!type.endsWith("[]")) throw new ValidationError(where, `count needs an array type (T[]), not ${type}`);
  if (!Number.isInteger(count) || count < 1 || count > 4096) throw new ValidationError(where, `count: ${count} is outside 1..4096`);
  const element = ctx.env.layout(type.slice(0, -2));
  const at = ctx.block.alloc(count * element.size, Math.max(8, element.align));
  buffers.push({ label: `${where} (${type.slice(0, -2)}[${count}])`, offset: at, size: count * element.size, element: type.slice(0, -2) });
  return { value: BigInt(at), kind: "address" };
}

function refValue(ctx: Context, ref: string, where: string): Resolved {
  const m = /^(\d+)(?:\.(.+))?$/.exec(ref);
  const target = m ? ctx.planned[Number(m[1])] : undefined;
  if (!m || !target?.struct) throw new ValidationError(where, `ref '${ref}' must name an earlier call with a struct as N.member`);
  const offset = m[2] ? ctx.env.field(target.struct.type, m[2]).offset : 0;
  return { value: BigInt(target.struct.offset + offset), kind: "address" };
}

/** Lay `spec` out as `layout` at block offset `at`, with its pointers relocated. */
function placeStruct(ctx: Context, layout: Layout, spec: unknown, at: number, where: string, buffers: PlannedBuffer[]): void {
  const pending: PendingRelocs[] = [];
  const value = toCValue(layout, spec, (v, w) => resolveValue(ctx, v, w, buffers), where, pending);
  // Nothing given: the block is zero already (an output struct).
  if (value !== undefined) ctx.block.put(at, encodeCValue(layout, value));
  for (const r of pending) ctx.block.reloc(at + r.at, r.kind);
}

/** Check a scalar's width for the guest; a 32-bit guest's failure names Xen's rule. */
function checkWidth(ctx: Context, call: XenHypercall, arg: HypercallArgument, v: Resolved, allow: boolean): void {
  if (v.kind || allow) return;
  const w = argumentBits(arg, ctx.bits);
  const ok = arg.kind === "scalar" && arg.signed ? fitsSigned(v.value, w) : fitsUnsigned(v.value, w);
  if (ok && (ctx.bits === 64 || fitsUnsigned(BigInt.asUintN(64, v.value), 64))) return;
  const rule = ctx.bits === 32 ? `; ${THIRTY_TWO_BIT_RULE} (pass allowUnclean to send it anyway)` : "";
  throw new HypercallArgumentError(call.name, arg.name, `0x${BigInt.asUintN(64, v.value).toString(16)} does not fit ${w} bits${rule}`);
}

/** Argument values of one call (command, struct handle, the rest), with relocation kinds. */
function planArguments(ctx: Context, spec: XenRunCallSpec, where: string): { call: XenHypercall; command?: XenCommand; args: Resolved[]; struct?: { type: string; offset: number }; buffers: PlannedBuffer[] } {
  const call = xenHypercall(spec.call);
  const command = spec.command !== undefined ? xenCommand(call, typeof spec.command === "string" && !/^\d+$/.test(spec.command) ? spec.command : Number(spec.command)) : undefined;
  const buffers: PlannedBuffer[] = [];
  const args: (Resolved | undefined)[] = new Array(call.args.length).fill(undefined);
  let next = 0;
  if (command) args[next++] = { value: BigInt(command.value) };
  let struct: { type: string; offset: number } | undefined;
  if (command?.struct) {
    const slot = call.args.findIndex((a, i) => i >= next && a.kind === "handle");
    const layout = ctx.env.layout(command.struct);
    let offset: number;
    if (spec.structAt !== undefined) {
      offset = Number(refValue(ctx, spec.structAt, `${where}.structAt`).value);
    } else {
      offset = ctx.block.alloc(layout.size, Math.max(8, layout.align));
      placeStruct(ctx, layout, spec.struct, offset, `${where}.struct`, buffers);
    }
    struct = { type: command.struct, offset };
    args[slot] = { value: BigInt(offset), kind: "address" };
  } else if (spec.struct) throw new ValidationError(`${where}.struct`, `${call.name} ${command?.name ?? ""} takes no struct`);
  for (const [i, v] of (spec.args ?? []).entries()) {
    while (next < args.length && args[next] !== undefined) next++;
    if (next >= args.length) throw new ValidationError(`${where}.args[${i}]`, `${call.name} has ${call.args.length} arguments`);
    const r = resolveValue(ctx, v, `${where}.args[${i}]`, buffers);
    if (!r) throw new ValidationError(`${where}.args[${i}]`, `not a value: ${JSON.stringify(v)}`);
    args[next] = r;
  }
  const filled = args.map((a) => a ?? { value: 0n });
  filled.forEach((a, i) => checkWidth(ctx, call, call.args[i]!, a, spec.allowUnclean === true));
  return { call, ...(command ? { command } : {}), args: filled, ...(struct ? { struct } : {}), buffers };
}

function planMulticall(ctx: Context, spec: XenRunCallSpec, where: string): { list: number; inner: PlannedCall[] } {
  const layout = ctx.env.layout("multicall_entry_t");
  const argsField = ctx.env.field("multicall_entry_t", "args");
  const argSize = argsField.layout.kind === "array" ? argsField.layout.element.size : 8;
  const planned = (spec.calls ?? []).map((c, i) => ({ ...planArguments(ctx, { ...c, allowUnclean: c.allowUnclean ?? spec.allowUnclean }, `${where}.calls[${i}]`), i }));
  const list = ctx.block.alloc(layout.size * planned.length, Math.max(8, layout.align));
  const inner = planned.map((p) => {
    const entry = list + p.i * layout.size;
    // Written word by word, not through the layout: an unclean argument (sent on purpose) must reach memory as is.
    const words = p.args.map((a) => BigInt.asUintN(argSize * 8, a.value));
    ctx.block.put(entry, encodeCValue(layout, { op: BigInt(p.call.number) }));
    words.forEach((w, j) => {
      const at = entry + argsField.offset + j * argSize;
      // A 64-bit scratch word: xen_ulong_t is 4 bytes for x86 compat guests.
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, w, true);
      ctx.block.put(at, argSize === 8 ? bytes : bytes.subarray(0, 4));
      if (p.args[j]!.kind) ctx.block.reloc(at, p.args[j]!.kind!);
    });
    return { index: p.i, call: p.call, ...(p.command ? { command: p.command } : {}), entry, ...(p.struct ? { struct: p.struct } : {}), buffers: p.buffers, args: p.args.map((a) => a.value) };
  });
  return { list, inner };
}

/**
 * Lay out a script's calls for a guest of `guestBits` on `abi`'s arch: structs
 * by the C layout engine, arguments in the call table, pointers relocated by
 * the payload at run time. Throws typed errors for unknown calls, bad values
 * and arguments a 32-bit guest cannot pass (unless the call allows them).
 */
export function planXenPayload(
  abi: HypercallAbi,
  specs: readonly XenRunCallSpec[],
  options: { readonly guestBits?: 32 | 64; readonly frameBias?: bigint; readonly nonce: Uint8Array; readonly frameTable?: boolean; readonly startInfo?: string },
): PlannedBlock {
  const bits = abi.convention(options.guestBits).guestBits;
  if (options.nonce.length !== NONCE_SIZE) throw new ValidationError("xen run nonce", `${options.nonce.length} bytes, need ${NONCE_SIZE}`);
  const ctx: Context = { env: xenTypes(abi, bits), bits, block: new DataBlock(), planned: [] };
  if (options.frameTable) ctx.block.reserveFrameTable();
  if (options.startInfo) ctx.block.reserveStartInfo(ctx.env.layout(options.startInfo).size);
  const pending: { spec: XenRunCallSpec; nr: number; args: Resolved[] }[] = [];
  specs.forEach((spec, index) => {
    const where = `[${index}]`;
    if (spec.call === MULTICALL.name) {
      const { list, inner } = planMulticall(ctx, spec, where);
      const args: Resolved[] = [{ value: BigInt(list), kind: "address" }, { value: BigInt(inner.length) }];
      ctx.planned.push({ index, call: MULTICALL, entry: 0, buffers: [], inner, args: args.map((a) => a.value) });
      pending.push({ spec, nr: MULTICALL.number, args });
      return;
    }
    const p = planArguments(ctx, spec, where);
    if (p.args.length > CALL_ENTRY.maxArgs) throw new ValidationError(where, `${p.call.name} has more than ${CALL_ENTRY.maxArgs} arguments`);
    ctx.planned.push({ index, call: p.call, ...(p.command ? { command: p.command } : {}), entry: 0, ...(p.struct ? { struct: p.struct } : {}), buffers: p.buffers, args: p.args.map((a) => a.value) });
    pending.push({ spec, nr: p.call.number, args: p.args });
  });
  const table = ctx.block.alloc(CALL_ENTRY.size * pending.length, 64);
  pending.forEach((c, i) => {
    const entry = table + i * CALL_ENTRY.size;
    ctx.block.word(entry + CALL_ENTRY.nr, BigInt(c.nr));
    c.args.forEach((a, j) => {
      ctx.block.word(entry + CALL_ENTRY.args + j * 8, a.value);
      if (a.kind) ctx.block.reloc(entry + CALL_ENTRY.args + j * 8, a.kind);
    });
    ctx.planned[i] = { ...ctx.planned[i]!, entry };
  });
  const block = ctx.block.finish(options.nonce, options.frameBias ?? 0n, table, pending.length);
  const bulk = ctx.block.bulkBytes();
  return { block, nonce: options.nonce, guestBits: bits, calls: ctx.planned, callTable: table, ...(options.startInfo ? { startInfo: options.startInfo } : {}), ...(bulk ? { bulk } : {}) };
}
