import { HandoffError, type HandoffErrorOptions } from "@handoff/core";

/**
 * A value given to a hypercall argument or a struct member in a `handoff xen
 * run` script. Numbers are integers (a string may be hex); the object forms
 * put something in the payload's data block and stand for its guest address:
 * - `{ text }`: the UTF-8 bytes of `text`;
 * - `{ zeros, align? }`: `zeros` zero bytes (an output buffer);
 * - `{ frames }`: `frames` zeroed, page-aligned pages, and the value is the
 *   address of an array of their frame numbers (`xen_argo_gfn_t[]`);
 * - `{ type, value }`: `value` laid out as the catalogue type `type` (a
 *   struct, or `T[]` for an array of `T`);
 * - `{ type: "T[]", count }`: `count` zeroed `T` for the call to fill (an
 *   e820entry_t[] for XENMEM_machine_memory_map), decoded after the run;
 * - `{ ref: "N.path" }`: the address of member `path` of call N's struct (N
 *   counts the script's top-level calls from 0), so a later call can take an
 *   earlier call's output (an event channel port) without the host knowing it;
 * - `{ bytes }` (programmatic, not JSON): a large buffer (a kexec segment's
 *   contents) placed page-aligned past the data block, in the image the
 *   payload is loaded from but not read back.
 */
export type XenRunValue =
  | number
  | string
  | bigint
  | { readonly text: string }
  | { readonly zeros: number; readonly align?: number }
  | { readonly frames: number }
  | { readonly type: string; readonly value: unknown }
  | { readonly type: string; readonly count: number }
  | { readonly ref: string }
  | { readonly bytes: Uint8Array };

/** One call of a script: the call, its command, the command's struct, the other arguments. */
export interface XenRunCallSpec {
  readonly call: string;
  /** A command name or number of the call (fills argument 0). */
  readonly command?: string | number;
  /** Members of the command's struct; it goes to the first handle argument. */
  readonly struct?: Readonly<Record<string, unknown>>;
  /**
   * Instead of a new struct: pass the address of member `path` of call N's
   * struct (`"N.path"`), e.g. evtchn_send's port read straight from
   * evtchn_alloc_unbound's output, which the host never sees.
   */
  readonly structAt?: string;
  /** The remaining arguments, in order (after the command and the struct's handle). */
  readonly args?: readonly XenRunValue[];
  /** multicall: the batched calls. */
  readonly calls?: readonly XenRunCallSpec[];
  /** Send arguments that break the 32-bit guest rules anyway (to watch Xen reject them). */
  readonly allowUnclean?: boolean;
}

/** A script that is not a list of well-formed calls. */
export class XenRunScriptError extends HandoffError {
  readonly code = "E_XEN_RUN_SCRIPT";
  constructor(
    readonly source: string,
    readonly where: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${source}: ${where}: ${reason}`, options);
  }
}

const CALL_KEYS = new Set(["call", "command", "struct", "structAt", "args", "calls", "allowUnclean"]);
const MAX_CALLS = 256;

function checkCall(source: string, where: string, v: unknown, depth: number): XenRunCallSpec {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new XenRunScriptError(source, where, "a call is an object { call, command?, struct?, args?, calls? }");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!CALL_KEYS.has(k)) throw new XenRunScriptError(source, where, `unknown key '${k}'`);
  if (typeof o.call !== "string") throw new XenRunScriptError(source, `${where}.call`, "must be a hypercall name");
  if (o.command !== undefined && typeof o.command !== "string" && typeof o.command !== "number") throw new XenRunScriptError(source, `${where}.command`, "must be a name or number");
  if (o.struct !== undefined && (typeof o.struct !== "object" || o.struct === null || Array.isArray(o.struct))) throw new XenRunScriptError(source, `${where}.struct`, "must be an object");
  if (o.structAt !== undefined && (typeof o.structAt !== "string" || o.struct !== undefined)) throw new XenRunScriptError(source, `${where}.structAt`, "must be 'N.member', without struct");
  if (o.args !== undefined && !Array.isArray(o.args)) throw new XenRunScriptError(source, `${where}.args`, "must be a list");
  if (o.calls !== undefined) {
    if (depth > 0) throw new XenRunScriptError(source, `${where}.calls`, "a multicall cannot nest another");
    if (!Array.isArray(o.calls) || o.calls.length === 0 || o.calls.length > MAX_CALLS) throw new XenRunScriptError(source, `${where}.calls`, `must be a list of 1..${MAX_CALLS} calls`);
    o.calls.forEach((c, i) => checkCall(source, `${where}.calls[${i}]`, c, depth + 1));
  }
  return o as unknown as XenRunCallSpec;
}

/** Check the shape of a parsed script (a JSON list of calls); typed error naming the element. */
export function parseXenRunScript(json: unknown, source = "script"): XenRunCallSpec[] {
  if (!Array.isArray(json)) throw new XenRunScriptError(source, "top level", "must be a JSON list of calls");
  if (json.length === 0 || json.length > MAX_CALLS) throw new XenRunScriptError(source, "top level", `must hold 1..${MAX_CALLS} calls, has ${json.length}`);
  return json.map((c, i) => checkCall(source, `[${i}]`, c, 0));
}
