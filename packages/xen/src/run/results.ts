import { FormatError, type HypercallAbi } from "@handoff/core";
import { readCValue, type CValue, type Layout } from "@handoff/core/c-abi";
import { decodeMulticall } from "../multicall.js";
import { xenTypes } from "../types.js";
import { CALL_ENTRY, PAYLOAD_HEADER } from "./data-block.js";
import type { PlannedBlock, PlannedCall } from "./payload.js";

/** A value decoded for display: char arrays become strings. */
export type DecodedValue = bigint | string | readonly DecodedValue[] | { readonly [k: string]: DecodedValue };

/** One call's outcome as read from guest memory. */
export interface XenCallResult {
  readonly index: number;
  readonly call: string;
  readonly command?: string;
  /** Whether the payload got past the trap (a call that crashed the domain never returns). */
  readonly returned: boolean;
  /** The return value, sign-extended from the guest's width (Xen returns -errno). */
  readonly result: bigint;
  readonly struct?: { readonly type: string; readonly value: DecodedValue };
  readonly buffers: readonly { readonly label: string; readonly bytes: Uint8Array; readonly messages?: readonly ArgoMessage[]; readonly values?: readonly DecodedValue[] }[];
  readonly calls?: readonly XenCallResult[];
}

/** A message read back from an Argo ring: its header and data. */
export interface ArgoMessage {
  readonly len: number;
  readonly source: { readonly aport: bigint; readonly domainId: bigint };
  readonly messageType: bigint;
  readonly data: Uint8Array;
}

/** Where the running copy of the block sits in a memory dump, or undefined. */
export function findPayloadBlock(dump: Uint8Array, nonce: Uint8Array, pageSize = 4096): number | undefined {
  const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  for (let at = 0; at + PAYLOAD_HEADER.size <= dump.length; at += pageSize) {
    let same = true;
    for (let i = 0; i < nonce.length && same; i++) same = dump[at + i] === nonce[i];
    // The loader's copy of the image carries the nonce too; only the copy that ran has its address written.
    if (same && view.getBigUint64(at + PAYLOAD_HEADER.base, true) !== 0n) return at;
  }
  return undefined;
}

/**
 * The machine frames of the block's pages as the payload wrote them into its
 * frame table (PV guests, whose pages are not machine-contiguous), or
 * undefined when the block has none; `first` is the block's first page as read.
 */
export function blockFrames(first: Uint8Array, pages: number): bigint[] | undefined {
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  const table = Number(view.getBigUint64(PAYLOAD_HEADER.frameTable, true));
  if (table === 0) return undefined;
  const count = Number(view.getBigUint64(PAYLOAD_HEADER.frameCount, true));
  if (count !== pages || table + count * 8 > first.length) throw new FormatError("xen run results", "data block", "frame table", table, `${count} frames for a block of ${pages} pages`);
  return Array.from({ length: count }, (_, i) => view.getBigUint64(table + i * 8, true));
}

/** What a PVH payload learnt at boot: Xen's CPUID leaves, the hypercall page, the start info. */
export interface PvhBootFacts {
  readonly cpuidBase: bigint;
  readonly hypercallMsr: bigint;
  readonly hypercallPage: bigint;
  readonly startInfoAddress: bigint;
  /** hvm_start_info as Xen wrote it, decoded by the catalogue. */
  readonly startInfo?: DecodedValue;
}

/** The PVH payload's boot facts from the block's header (and its start info copy, when planned). */
export function decodePvhBoot(abi: HypercallAbi, plan: PlannedBlock, block: Uint8Array): PvhBootFacts {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const word = (at: number): bigint => view.getBigUint64(at, true);
  const copy = Number(word(PAYLOAD_HEADER.startInfoCopy));
  const layout = plan.startInfo && copy ? xenTypes(abi, plan.guestBits).layout(plan.startInfo) : undefined;
  return {
    cpuidBase: word(PAYLOAD_HEADER.cpuidBase),
    hypercallMsr: word(PAYLOAD_HEADER.hypercallMsr),
    hypercallPage: word(PAYLOAD_HEADER.hypercallPage),
    startInfoAddress: word(PAYLOAD_HEADER.startInfo),
    ...(layout ? { startInfo: display(layout, readCValue(layout, block, copy, { label: "xen run start info" })) } : {}),
  };
}

function display(layout: Layout, v: CValue): DecodedValue {
  if (layout.kind === "array" && layout.element.kind === "int" && layout.element.size === 1 && Array.isArray(v)) {
    const bytes = Uint8Array.from(v as bigint[], (b) => Number(BigInt.asUintN(8, b)));
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  }
  if (layout.kind === "array" && Array.isArray(v)) return (v as CValue[]).map((x) => display(layout.element, x));
  if ((layout.kind === "struct" || layout.kind === "union") && typeof v === "object" && !Array.isArray(v)) {
    const out: Record<string, DecodedValue> = {};
    for (const f of layout.fields) out[f.name] = display(f.layout, (v as Record<string, CValue>)[f.name]!);
    return out;
  }
  return v as bigint;
}

/**
 * The messages in an Argo ring's bytes (public/argo.h: xen_argo_ring_t, then
 * 16-byte-aligned xen_argo_ring_message_header + data between rx_ptr and
 * tx_ptr). Bounded by the ring's size.
 */
export function readArgoRing(ring: Uint8Array, ringLen: number): ArgoMessage[] {
  const view = new DataView(ring.buffer, ring.byteOffset, ring.byteLength);
  const header = 64;
  if (ring.length < header || ringLen > ring.length - header) throw new FormatError("argo ring", "xen_argo_ring", "len", 0, `ring of ${ringLen} bytes in ${ring.length}`);
  let rx = view.getUint32(0, true);
  const tx = view.getUint32(4, true);
  const out: ArgoMessage[] = [];
  for (let steps = 0; rx !== tx && steps < ringLen / 16; steps++) {
    if (rx + 16 > ringLen) throw new FormatError("argo ring", "xen_argo_ring_message_header", "len", header + rx, "header past the ring's end");
    const len = view.getUint32(header + rx, true);
    if (len < 16 || rx + len > ringLen) throw new FormatError("argo ring", "xen_argo_ring_message_header", "len", header + rx, `${len} does not fit`);
    out.push({
      len,
      source: { aport: BigInt(view.getUint32(header + rx + 4, true)), domainId: BigInt(view.getUint16(header + rx + 8, true)) },
      messageType: BigInt(view.getUint32(header + rx + 12, true)),
      data: ring.slice(header + rx + 16, header + rx + len),
    });
    rx = (rx + Math.ceil(len / 16) * 16) % ringLen;
  }
  return out;
}

/** Every whole element of an output array, decoded by the catalogue's layout. */
function decodeArray(element: Layout, bytes: Uint8Array): DecodedValue[] {
  return Array.from({ length: Math.floor(bytes.length / element.size) }, (_, i) => display(element, readCValue(element, bytes, i * element.size, { label: "xen run results" })));
}

function decodeCall(abi: HypercallAbi, plan: PlannedBlock, block: Uint8Array, c: PlannedCall, result: bigint, returned: boolean): XenCallResult {
  const env = xenTypes(abi, plan.guestBits);
  const struct = c.struct ? { type: c.struct.type, value: display(env.layout(c.struct.type), readCValue(env.layout(c.struct.type), block, c.struct.offset, { label: "xen run results" })) } : undefined;
  const ringLen = c.struct?.type === "xen_argo_register_ring_t" && struct ? Number((struct.value as { len: bigint }).len) : undefined;
  const buffers = c.buffers.map((b) => {
    const bytes = block.slice(b.offset, b.offset + b.size);
    const values = b.element ? decodeArray(env.layout(b.element), bytes) : undefined;
    return { label: b.label, bytes, ...(b.ring && ringLen !== undefined ? { messages: readArgoRing(bytes, ringLen) } : {}), ...(values ? { values } : {}) };
  });
  return {
    index: c.index,
    call: c.call.name,
    ...(c.command ? { command: c.command.name } : {}),
    returned,
    result,
    ...(struct ? { struct } : {}),
    buffers,
  };
}

/** Read every call's return value, output struct and buffers from the block as read back from guest memory. */
export function decodeXenRun(abi: HypercallAbi, plan: PlannedBlock, block: Uint8Array): XenCallResult[] {
  if (block.length < plan.block.length) throw new FormatError("xen run results", "data block", "size", 0, `${block.length} bytes read, block is ${plan.block.length}`);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  return plan.calls.map((c) => {
    const returned = view.getBigUint64(c.entry + CALL_ENTRY.done, true) === 1n;
    const result = BigInt.asIntN(plan.guestBits, view.getBigUint64(c.entry + CALL_ENTRY.result, true));
    const decoded = decodeCall(abi, plan, block, c, result, returned);
    if (!c.inner) return decoded;
    const entries = decodeMulticall(abi, block.subarray(c.inner[0]!.entry), c.inner.length, { guestBits: plan.guestBits, checkClean: false });
    const calls = c.inner.map((ic, i) => decodeCall(abi, plan, block, ic, BigInt.asIntN(plan.guestBits, entries[i]!.result), returned));
    return { ...decoded, calls };
  });
}
