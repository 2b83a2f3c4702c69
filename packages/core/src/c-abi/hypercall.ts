import { fitsSigned, fitsUnsigned, maskOf, toBits } from "../bits.js";
import { UnknownRegisterValueError, ValidationError } from "../errors.js";
import {
  HypercallArgumentError,
  argumentBits,
  type DecodedArgument,
  type DecodedHypercall,
  type EncodedHypercall,
  type GuestBuffer,
  type Hypercall,
  type HypercallAbi,
  type HypercallConvention,
  type HypercallValue,
} from "../hypercall-abi.js";
import type { RegisterFile } from "../registers.js";
import { CTypeEnvironment } from "./c-environment.js";

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
      env = new CTypeEnvironment(c.dataModel, new Map(Object.entries(c.typedefs)), c.handleRepresentation, c.handleName);
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
