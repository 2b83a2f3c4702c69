/**
 * Hypercall shapes the per-arch convention tests share, so each arch's test
 * checks its own registers and width rules against the same call.
 */
import type { Hypercall } from "@handoff/core";

/** An argo_op-shaped call (Xen hypercall 39): a 32-bit command, two guest handles, two values that must fit 32 bits. */
export const ARGO_OP_SHAPED: Hypercall = {
  name: "argo_op",
  number: 39,
  args: [
    { name: "cmd", kind: "scalar", width: 32 },
    { name: "arg1", kind: "handle" },
    { name: "arg2", kind: "handle" },
    { name: "arg3", kind: "scalar", width: 32 },
    { name: "arg4", kind: "scalar", width: 32 },
  ],
};

/** A decoder's catalogue lookup over `calls`: the call with that number, or undefined. */
export function hypercallLookup(...calls: readonly Hypercall[]): (nr: bigint) => Hypercall | undefined {
  return (nr) => calls.find((c) => BigInt(c.number) === nr);
}
