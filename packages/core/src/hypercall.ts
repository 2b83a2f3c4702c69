import { fitsSigned, fitsUnsigned, maskOf, toBits } from "./bits.js";
import type { CDataModel, CType } from "./c-layout.js";
import { CTypeEnvironment } from "./c-layout.js";
import { HandoffError, UnknownRegisterValueError, ValidationError, type HandoffErrorOptions } from "./errors.js";
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

/**
 * A `HypercallAbi` built from data: each convention names registers in the
 * architecture's register file. Arch packages instantiate it.
 */
export class RegisterHypercallAbi implements HypercallAbi {
  private readonly envs = new Map<string, CTypeEnvironment>();
  private checked = false;

  constructor(
    readonly arch: string,
    readonly hypervisor: string,
    readonly conventions: readonly HypercallConvention[],
    private readonly createRegisterFile: () => RegisterFile,
  ) {
    if (conventions.length === 0) throw new ValidationError(`${arch} hypercall ABI`, "no conventions");
    for (const c of conventions) {
      if (c.entryRule === "zero-upper" && !c.narrowMode) throw new ValidationError(`${arch} hypercall convention ${c.id}`, "zero-upper needs a narrow mode");
    }
  }

  /**
   * Check every register a convention names against the register file, once,
   * on first use: an arch constructs its ABI in a field initializer, before
   * its own register table is available to build a register file from.
   */
  private checkTables(): void {
    if (this.checked) return;
    const probe = this.createRegisterFile();
    for (const c of this.conventions) {
      for (const r of [c.numberRegister, c.resultRegister, ...c.argumentRegisters, ...c.alwaysClobbered]) {
        const spec = probe.spec(r); // throws UnknownRegisterError for a bad table
        if (spec.width < c.guestBits) {
          throw new ValidationError(`${this.arch} hypercall convention ${c.id}`, `register ${r} is ${spec.width}-bit, narrower than the guest`);
        }
      }
    }
    this.checked = true;
  }

  convention(guestBits?: 32 | 64): HypercallConvention {
    if (guestBits === undefined) return this.conventions[0]!;
    const c = this.conventions.find((x) => x.guestBits === guestBits);
    if (!c) {
      throw new ValidationError(`${this.arch} hypercall ABI`, `no convention for a ${guestBits}-bit guest (have ${this.conventions.map((x) => `${x.id}/${x.guestBits}`).join(", ")})`);
    }
    return c;
  }

  types(guestBits?: 32 | 64): CTypeEnvironment {
    const c = this.convention(guestBits);
    let env = this.envs.get(c.id);
    if (!env) {
      env = new CTypeEnvironment(c.dataModel, new Map(Object.entries(c.typedefs)), c.handleRepresentation);
      this.envs.set(c.id, env);
    }
    return env;
  }

  encode(call: Hypercall, args: readonly HypercallValue[], options: { readonly guestBits?: 32 | 64 } = {}): EncodedHypercall {
    this.checkTables();
    const c = this.convention(options.guestBits);
    if (call.args.length > c.argumentRegisters.length) {
      throw new HypercallArgumentError(call.name, "-", `${call.args.length} arguments, the ${c.id} convention passes ${c.argumentRegisters.length}`);
    }
    if (args.length !== call.args.length) {
      throw new HypercallArgumentError(call.name, "-", `${args.length} values for ${call.args.length} arguments`);
    }
    const registers = this.createRegisterFile();
    const assignments: { register: string; value: bigint; argument: string }[] = [];
    const buffers: GuestBuffer[] = [];
    if (!Number.isInteger(call.number) || call.number < 0 || !fitsUnsigned(BigInt(call.number), c.guestBits)) {
      throw new HypercallArgumentError(call.name, "number", `${call.number} is not a ${c.guestBits}-bit hypercall number`);
    }
    setRegister(registers, c.numberRegister, BigInt(call.number), c.guestBits);
    assignments.push({ register: c.numberRegister, value: BigInt(call.number), argument: "number" });
    call.args.forEach((arg, i) => {
      const given = args[i]!;
      const register = c.argumentRegisters[i]!;
      const bits = argumentBits(arg, c.guestBits);
      let value: bigint;
      if (typeof given === "bigint") {
        value = given;
      } else {
        if (arg.kind !== "handle") throw new HypercallArgumentError(call.name, arg.name, "a buffer was given for a scalar argument");
        value = given.address;
        if (given.bytes) {
          buffers.push({ address: given.address, length: BigInt(given.bytes.length), data: { kind: "bytes", bytes: given.bytes }, label: `${call.name}.${arg.name}${arg.kind === "handle" && arg.struct ? ` (${arg.struct})` : ""}` });
        }
      }
      const signed = arg.kind === "scalar" && arg.signed === true;
      const fits = signed ? fitsSigned(value, bits) : fitsUnsigned(value, bits);
      if (!fits) {
        throw new HypercallArgumentError(call.name, arg.name, `value ${fmt(value)} does not fit ${bits}-bit ${signed ? "signed" : "unsigned"} (${c.id})`);
      }
      // A signed value is sign-extended to the guest register width (the C
      // conversion of int to long); unsigned ones are zero-extended.
      const regValue = toBits(value, c.guestBits);
      setRegister(registers, register, regValue, c.guestBits);
      assignments.push({ register, value: regValue, argument: arg.name });
    });
    return { call, convention: c, registers, assignments, buffers, clobbered: clobberedBy(c, call.args.length) };
  }

  decode(registers: RegisterFile, guestBits: 32 | 64, lookup?: (nr: bigint) => Hypercall | undefined): DecodedHypercall {
    this.checkTables();
    const c = this.convention(guestBits);
    if (registers.arch !== this.arch) {
      throw new ValidationError(`${this.arch} hypercall decode`, `register file is for ${registers.arch}`);
    }
    const entry = registers.clone();
    // AArch32 guest on AArch64 Xen: the entry path zeroes the top 32 bits of
    // every GPR before anything reads them (xen/arch/arm/arm64/entry.S,
    // `clobber_gp_top_halves`, applied when entering from a compat guest).
    if (c.entryRule === "zero-upper") entry.zeroUpperBits(c.narrowMode!);
    // 32-bit x86 guest on 64-bit Xen: only the low halves are read (`unsigned
    // int ebx = regs->ebx` in _pv_hypercall's compat branch, xen/arch/x86/pv/
    // hypercall.c; `regs->eax/ebx/...` in hvm_hypercall's 32-bit branch,
    // xen/arch/x86/hvm/hypercall.c). The upper halves are neither checked nor
    // changed: after compat-mode execution they are UNKNOWN anyway.
    const mask = maskOf(c.guestBits);
    const read = (name: string): bigint => {
      const r = entry.read(name);
      // Only the guest-width bits are the argument; UNKNOWN bits there are an error.
      if ((r.unknown & mask) !== 0n || (c.entryRule !== "low-halves" && r.unknown !== 0n)) {
        throw new UnknownRegisterValueError(this.arch, name, c.entryRule === "low-halves" ? r.unknown & mask : r.unknown);
      }
      return r.value & mask;
    };
    const number = read(c.numberRegister);
    const call = lookup?.(number);
    const args: DecodedArgument[] = [];
    if (call) {
      if (call.args.length > c.argumentRegisters.length) {
        throw new HypercallArgumentError(call.name, "-", `${call.args.length} arguments, the ${c.id} convention passes ${c.argumentRegisters.length}`);
      }
      call.args.forEach((arg, i) => {
        const register = c.argumentRegisters[i]!;
        const raw = read(register);
        const bits = argumentBits(arg, c.guestBits);
        let value = raw;
        if (bits < c.guestBits) {
          // An argument declared narrower than the register has its upper bits
          // checked, not ignored: Xen's argo_op rejects "numeric hypercall args
          // outside 32-bit range" with -EINVAL (`arg3 != (uint32_t)arg3`,
          // xen/common/argo.c do_argo_op) rather than letting C truncate them.
          const signed = arg.kind === "scalar" && arg.signed === true;
          const asSigned = BigInt.asIntN(c.guestBits, raw);
          const ok = signed ? fitsSigned(asSigned, bits) : fitsUnsigned(raw, bits);
          if (!ok) {
            throw new HypercallArgumentError(call.name, arg.name, `register ${register} = ${fmt(raw)} has bits set above the declared ${bits}-bit width`);
          }
          value = signed ? asSigned : raw;
        } else if (arg.kind === "scalar" && arg.signed) {
          value = BigInt.asIntN(c.guestBits, raw);
        }
        args.push({ name: arg.name, register, value, kind: arg.kind });
      });
    } else {
      c.argumentRegisters.forEach((register, i) => {
        const r = entry.read(register);
        if ((r.unknown & maskOf(c.guestBits)) !== 0n) return; // not readable: not an argument we can report
        args.push({ name: `arg${i}`, register, value: read(register), kind: "raw" });
      });
    }
    return { number, call, convention: c, args, entryRegisters: entry };
  }
}

/** Registers a call of `nargs` arguments may change besides the result. */
export function clobberedBy(c: HypercallConvention, nargs: number): string[] {
  const out = new Set(c.alwaysClobbered);
  if (c.clobbersUsedArguments) for (const r of c.argumentRegisters.slice(0, nargs)) if (r !== c.resultRegister) out.add(r);
  out.delete(c.resultRegister);
  return [...out];
}

function setRegister(registers: RegisterFile, name: string, value: bigint, guestBits: number): void {
  const spec = registers.spec(name);
  if (spec.width < guestBits) throw new ValidationError(`register ${name}`, `narrower than the ${guestBits}-bit guest`);
  registers.set(name, value);
}

function fmt(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** A64 `HVC #imm16`: 0xd4000002 | imm16 << 5 (Arm ARM C6.2 HVC). */
export function encodeHvcA64(imm16: number): Uint8Array {
  checkImm16(imm16);
  return le32((0xd4000002 | (imm16 << 5)) >>> 0);
}

/** A32 `HVC #imm16` (cond must be AL): 0xe1400070 | imm16[15:4] << 8 | imm16[3:0] (Arm ARM F5.1 HVC, encoding A1). */
export function encodeHvcA32(imm16: number): Uint8Array {
  checkImm16(imm16);
  return le32((0xe1400070 | ((imm16 >> 4) << 8) | (imm16 & 0xf)) >>> 0);
}

/** T32 `HVC #imm16`: 0xf7e0 | imm16[15:12], then 0x8000 | imm16[11:0], each halfword little-endian (Arm ARM F5.1 HVC, encoding T1). */
export function encodeHvcT32(imm16: number): Uint8Array {
  checkImm16(imm16);
  const hw1 = 0xf7e0 | (imm16 >> 12);
  const hw2 = 0x8000 | (imm16 & 0xfff);
  return new Uint8Array([hw1 & 0xff, hw1 >> 8, hw2 & 0xff, hw2 >> 8]);
}

function checkImm16(imm16: number): void {
  if (!Number.isInteger(imm16) || imm16 < 0 || imm16 > 0xffff) throw new ValidationError("HVC immediate", `${imm16} is not a 16-bit value`);
}

function le32(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/**
 * The bytes of hypercall `nr`'s stub in a Xen hypercall page: `mov $nr, %eax`
 * (b8 imm32) followed by the trap and `ret` (c3), at offset nr * stride
 * (vmx_init_hypercall_page / svm_init_hypercall_page write exactly this).
 */
export function hypercallPageStub(nr: number, trap: Uint8Array): Uint8Array {
  if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) throw new ValidationError("hypercall number", `${nr}`);
  return new Uint8Array([0xb8, nr & 0xff, (nr >>> 8) & 0xff, (nr >>> 16) & 0xff, (nr >>> 24) & 0xff, ...trap, 0xc3]);
}
