import type { RegisterFile } from "./registers.js";

/** A hypercall argument: a scalar of declared width or a guest handle (pointer to memory). */
export type HypercallArgument =
  | { readonly name: string; readonly kind: "scalar"; readonly width: 8 | 16 | 32 | 64 | "word"; readonly signed?: boolean }
  | { readonly name: string; readonly kind: "handle"; readonly struct?: string };

/** A hypercall: a number plus typed arguments. */
export interface Hypercall {
  readonly name: string;
  readonly number: number;
  readonly args: readonly HypercallArgument[];
}

/** One way of trapping to the hypervisor, with its bytes. */
export interface HypercallInstruction {
  readonly mnemonic: string;
  /** Instruction set the encoding is for, e.g. `A64`, `A32`, `T32`, `x86`. */
  readonly isa: string;
  readonly bytes: Uint8Array;
}

/**
 * An architecture's hypercall calling convention. Arch packages implement it;
 * the Xen catalogue and the CLI use it.
 */
export interface HypercallAbi {
  readonly arch: string;
  /** Register carrying the hypercall number. */
  readonly numberRegister: string;
  /** Registers carrying arguments 0, 1, ... */
  readonly argumentRegisters: readonly string[];
  readonly resultRegister: string;
  /** Registers the hypervisor may change besides the result. */
  readonly clobbered: readonly string[];
  readonly instructions: readonly HypercallInstruction[];
  /** Guest side: registers for a call; values that do not fit are typed errors. */
  encode(call: Hypercall, args: readonly bigint[]): RegisterFile;
  /** Hypervisor side: argument values read with the guest mode's width rules. */
  decode(call: Hypercall, registers: RegisterFile, guestWidth: 32 | 64): bigint[];
}
