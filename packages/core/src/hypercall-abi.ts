import type { CDataModel, CType } from "./c-abi/c-types.js";
import type { CTypeEnvironment } from "./c-abi/c-environment.js";
import { HandoffError, type HandoffErrorOptions } from "./errors.js";
import type { SegmentData } from "./image.js";
import type { NarrowMode, RegisterFile } from "./registers.js";

/**
 * A hypercall argument. `width` is the ABI width of a scalar: 8..64 bits, or
 * `word` for C `unsigned long`/`long` (the guest's register width). A handle is
 * a guest address (Xen's `XEN_GUEST_HANDLE_PARAM`, register width) pointing at
 * `struct`, a type name of the catalogue, when it points at one.
 */
export type HypercallArgument =
  | { readonly name: string; readonly kind: "scalar"; readonly width: 8 | 16 | 32 | 64 | "word"; readonly signed?: boolean; readonly description?: string }
  | { readonly name: string; readonly kind: "handle"; readonly struct?: string; readonly description?: string };

/** A hypercall: a number plus typed arguments. */
export interface Hypercall {
  readonly name: string;
  readonly number: number;
  readonly args: readonly HypercallArgument[];
}

/** One way of trapping to the hypervisor, with its bytes. */
export interface HypercallInstruction {
  readonly mnemonic: string;
  /** Instruction set the encoding is for: `x86`, `A64`, `A32`, `T32`. */
  readonly isa: string;
  readonly bytes: Uint8Array;
  /** Which guests use it, e.g. `PV 64-bit`, `HVM on Intel VMX`. */
  readonly usedBy: string;
}

/** Xen's hypercall page: one `stride`-byte stub per hypercall number. */
export interface HypercallPage {
  readonly stride: number;
  readonly source: string;
}

/**
 * How a guest in one execution state passes a hypercall: registers, trap
 * instructions, the C data model its in-memory arguments follow, and how the
 * hypervisor reads the registers on entry.
 */
export interface HypercallConvention {
  /** e.g. `x86_64`, `x86_32-compat`, `aarch32`. */
  readonly id: string;
  /** Register width of the guest in this state. */
  readonly guestBits: 32 | 64;
  readonly numberRegister: string;
  /** Registers carrying arguments 0, 1, ... */
  readonly argumentRegisters: readonly string[];
  readonly resultRegister: string;
  /** Registers the hypervisor may change on every call besides the result. */
  readonly alwaysClobbered: readonly string[];
  /** Whether the argument registers a call uses are clobbered (Xen debug builds do). */
  readonly clobbersUsedArguments: boolean;
  readonly instructions: readonly HypercallInstruction[];
  readonly page?: HypercallPage;
  /**
   * What happens to the register file when a guest in this state traps:
   * `native` (read as is), `low-halves` (only the low `guestBits` of each
   * register are read; the upper bits are ignored and left alone), or
   * `zero-upper` (the hypervisor zeroes the upper halves on entry, then reads).
   */
  readonly entryRule: "native" | "low-halves" | "zero-upper";
  /** The narrow mode whose registers `zero-upper` clears (the AArch32 map on AArch64). */
  readonly narrowMode?: NarrowMode;
  /** C data model of structs passed by reference. */
  readonly dataModel: CDataModel;
  /** ABI typedefs (e.g. Xen's `xen_ulong_t`, `xen_pfn_t`) for this guest state. */
  readonly typedefs: Readonly<Record<string, CType>>;
  /** In-memory guest handle: the C struct/union that holds the address. */
  readonly handleRepresentation: (target: string) => CType;
  /** The C name the hypervisor's headers give a handle to `target` (its guest-handle macro); default `handle(target)`. */
  readonly handleName?: (target: string) => string;
  /** Where each fact comes from. */
  readonly sources: readonly string[];
}

/** A guest-side hypercall value: a scalar, or an address with the bytes to place there. */
export type HypercallValue = bigint | { readonly address: bigint; readonly bytes?: Uint8Array };

/** Memory the caller must place before the trap. */
export interface GuestBuffer {
  readonly address: bigint;
  readonly length: bigint;
  readonly data: SegmentData;
  readonly label: string;
}

/** Registers plus memory: everything a guest sets up for one hypercall. */
export interface EncodedHypercall {
  readonly call: Hypercall;
  readonly convention: HypercallConvention;
  readonly registers: RegisterFile;
  /** Each register written, with the argument it carries. */
  readonly assignments: readonly { readonly register: string; readonly value: bigint; readonly argument: string }[];
  readonly buffers: readonly GuestBuffer[];
  readonly clobbered: readonly string[];
}

/** One argument as the hypervisor sees it. */
export interface DecodedArgument {
  readonly name: string;
  readonly register: string;
  readonly value: bigint;
  readonly kind: "scalar" | "handle" | "raw";
}

/** A hypercall read back from a register file: number, the call it names (if known), the convention used and its arguments. */
export interface DecodedHypercall {
  readonly number: bigint;
  readonly call: Hypercall | undefined;
  readonly convention: HypercallConvention;
  readonly args: readonly DecodedArgument[];
  /** The register file after the entry rule (upper halves zeroed for AArch32). */
  readonly entryRegisters: RegisterFile;
}

/** A hypercall argument that does not fit its declared width, or is missing. */
export class HypercallArgumentError extends HandoffError {
  readonly code = "E_HYPERCALL_ARGUMENT";
  constructor(
    readonly call: string,
    readonly argument: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${call}: argument '${argument}': ${reason}`, options);
  }
}

/**
 * An architecture's hypercall calling convention(s). Arch packages provide it
 * (usually a `RegisterHypercallAbi`); the Xen catalogue and the CLI use it.
 */
export interface HypercallAbi {
  readonly arch: string;
  /** Hypervisor whose convention this is, e.g. `xen`. */
  readonly hypervisor: string;
  /** Conventions by guest state; the first is the native one. */
  readonly conventions: readonly HypercallConvention[];
  /** The convention for a guest of `guestBits` (default native); typed error if none. */
  convention(guestBits?: 32 | 64): HypercallConvention;
  /** C types (data model + ABI typedefs + handle layout) for a guest of `guestBits`. */
  types(guestBits?: 32 | 64): CTypeEnvironment;
  /** Guest side: registers and buffers for a call; values that do not fit are typed errors. */
  encode(call: Hypercall, args: readonly HypercallValue[], options?: { readonly guestBits?: 32 | 64 }): EncodedHypercall;
  /**
   * Hypervisor side: the number and arguments read from `registers` with the
   * width rules of a guest of `guestBits`. `lookup` finds the call by number to
   * check each argument's declared width; unknown numbers decode as raw words.
   */
  decode(registers: RegisterFile, guestBits: 32 | 64, lookup?: (nr: bigint) => Hypercall | undefined): DecodedHypercall;
}

/** Bits an argument of `width` occupies for a guest of `guestBits`. */
export function argumentBits(arg: HypercallArgument, guestBits: 32 | 64): number {
  if (arg.kind === "handle") return guestBits;
  return arg.width === "word" ? guestBits : arg.width;
}

