import { HandoffError, HypercallArgumentError, ValidationError, argumentBits, fitsSigned, fitsUnsigned, type EncodedHypercall, type HandoffErrorOptions, type Hypercall, type HypercallAbi } from "@handoff/core";
import { encodeCValue, readCValue } from "@handoff/core/c-abi";
import { MULTICALL, findXenHypercall } from "./hypercalls.js";
import { xenTypes } from "./types.js";

/** A multicall entry whose argument has bits a 32-bit guest cannot have meant. */
export class MulticallArgumentError extends HandoffError {
  readonly code = "E_MULTICALL_ARGUMENT";
  constructor(
    readonly entry: number,
    readonly argument: number,
    readonly value: bigint,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`multicall entry ${entry} argument ${argument} = 0x${value.toString(16)}: ${reason}`, options);
  }
}

/** The fields of one `multicall_entry_t`: op, result and arguments. */
export interface MulticallEntryValue {
  readonly op: bigint;
  readonly result: bigint;
  readonly args: readonly bigint[];
  /** The catalogue's declaration of `op`, when known. */
  readonly call: Hypercall | undefined;
}

/**
 * Guest side: a `multicall_entry_t` array at `address` for `calls`, and the
 * multicall itself. Each argument must fit the callee's declared width for
 * the guest (a 32-bit guest's arguments are 32 bits even where xen_ulong_t
 * is 64, as on Arm: public/xen.h "any unused bits in the upper portion must
 * be zero").
 */
export function encodeMulticall(
  abi: HypercallAbi,
  calls: readonly { readonly call: Hypercall; readonly args: readonly bigint[] }[],
  options: { readonly address: bigint; readonly guestBits?: 32 | 64 },
): EncodedHypercall {
  const bits = abi.convention(options.guestBits).guestBits;
  const layout = xenTypes(abi, bits).layout("multicall_entry_t");
  const bytes = new Uint8Array(layout.size * calls.length);
  calls.forEach(({ call, args }, i) => {
    if (args.length !== call.args.length) throw new HypercallArgumentError(call.name, "-", `multicall entry ${i}: ${args.length} values for ${call.args.length} arguments`);
    call.args.forEach((a, j) => {
      const w = argumentBits(a, bits);
      const v = args[j]!;
      const ok = a.kind === "scalar" && a.signed ? fitsSigned(v, w) : fitsUnsigned(v, w);
      if (!ok) throw new HypercallArgumentError(call.name, a.name, `multicall entry ${i}: value 0x${v.toString(16)} does not fit ${w} bits`);
    });
    const words = args.map((v, j) => {
      const a = call.args[j]!;
      return a.kind === "scalar" && a.signed ? BigInt.asUintN(bits, v) : v;
    });
    bytes.set(encodeCValue(layout, { op: BigInt(call.number), args: words }), i * layout.size);
  });
  return abi.encode(MULTICALL, [{ address: options.address, bytes }, BigInt(calls.length)], { guestBits: bits });
}

/**
 * Hypervisor side: read `count` entries from `bytes` (bounds-checked) for a
 * guest of `guestBits`. For a 32-bit guest whose entries hold 64-bit
 * xen_ulong_t (Arm), an argument the callee uses with any of bits 32..63 set
 * is rejected: Xen's check_multicall_32bit_clean (xen/arch/arm/traps.c)
 * crashes the domain for it. On x86 a 32-bit guest's entries are
 * multicall_entry_compat_t with 32-bit fields (xen/common/compat/multicall.c),
 * so no upper bits exist to check.
 */
export function decodeMulticall(
  abi: HypercallAbi,
  bytes: Uint8Array,
  count: number,
  options: { readonly guestBits?: 32 | 64; readonly label?: string; readonly maxEntries?: number; readonly checkClean?: boolean } = {},
): MulticallEntryValue[] {
  const bits = abi.convention(options.guestBits).guestBits;
  const layout = xenTypes(abi, bits).layout("multicall_entry_t");
  const max = options.maxEntries ?? 1024;
  if (!Number.isInteger(count) || count < 0 || count > max) throw new ValidationError("multicall nr_calls", `${count} is outside 0..${max}`);
  const out: MulticallEntryValue[] = [];
  for (let i = 0; i < count; i++) {
    const v = readCValue(layout, bytes, i * layout.size, { label: options.label ?? "multicall list" }) as { op: bigint; result: bigint; args: bigint[] };
    const call = findXenHypercall(v.op);
    if (bits === 32 && layout.kind === "struct" && options.checkClean !== false) {
      const argSize = (layout.fields.find((f) => f.name === "args")!.layout as { element: { size: number } }).element.size;
      if (argSize > 4) {
        const used = call ? call.args.length : 0;
        for (let j = 0; j < used; j++) {
          if ((v.args[j]! >> 32n) !== 0n) {
            throw new MulticallArgumentError(i, j, v.args[j]!, "not 32-bit clean for a 32-bit guest (Xen crashes the domain: check_multicall_32bit_clean)");
          }
        }
      }
    }
    out.push({ op: v.op, result: v.result, args: v.args, call });
  }
  return out;
}
