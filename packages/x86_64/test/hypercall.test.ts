import { describe, expect, it } from "vitest";
import { HypercallArgumentError, UnknownRegisterValueError, type Hypercall } from "@handoff/core";
import { x86HypercallPageStub } from "@handoff/x86";
import { COMPATIBILITY_MODE, X86_64_REGISTERS, x86_64Architecture } from "@handoff/x86_64";
import { assemble, requireTool } from "@handoff/test-support/assemble";
import { ARGO_OP_SHAPED, hypercallLookup } from "@handoff/test-support/hypercalls";

const arch = x86_64Architecture;
const abi = arch.hypercallAbi!;
const CALL = ARGO_OP_SHAPED;
const SIGNED: Hypercall = { name: "s", number: 1, args: [{ name: "v", kind: "scalar", width: 32, signed: true }, { name: "w", kind: "scalar", width: "word" }] };
const lookup = hypercallLookup(CALL, SIGNED);

describe("x86_64 Xen hypercall convention", () => {
  it("uses rax and rdi rsi rdx r10 r8; result rax; syscall clobbers rcx/r11", () => {
    const enc = abi.encode(CALL, [1n, 0x7fff_0000_1000n, 0x2000n, 3n, 4n]);
    expect(["rax", "rdi", "rsi", "rdx", "r10", "r8"].map((r) => enc.registers.get(r))).toEqual([39n, 1n, 0x7fff_0000_1000n, 0x2000n, 3n, 4n]);
    expect([...enc.clobbered].sort()).toEqual(["r10", "r11", "r8", "rcx", "rdi", "rdx", "rsi"]);
    expect(abi.convention().resultRegister).toBe("rax");
  });

  it("sign-extends a negative 32-bit signed argument and reads it back signed", () => {
    const enc = abi.encode(SIGNED, [-2n, 5n]);
    expect(enc.registers.get("rdi")).toBe(0xffff_ffff_ffff_fffen);
    expect(abi.decode(enc.registers, 64, lookup).args[0]!.value).toBe(-2n);
    enc.registers.set("rdi", 0x0000_0001_ffff_fffen); // neither zero- nor sign-extended
    expect(() => abi.decode(enc.registers, 64, lookup)).toThrow(HypercallArgumentError);
  });

  it("checks upper bits of a 32-bit argument from a 64-bit guest (accept and reject)", () => {
    const regs = arch.createRegisterFile().set("rax", 39n).set("rdi", 3n).set("r10", 0xffff_ffffn);
    expect(abi.decode(regs, 64, lookup).args[3]!.value).toBe(0xffff_ffffn);
    regs.set("r10", 0x1_0000_0000n);
    expect(() => abi.decode(regs, 64, lookup)).toThrow(/arg3/);
  });

  it("reads only the low halves for a 32-bit guest (compat): upper garbage and UNKNOWN bits are ignored", () => {
    const regs = arch.createRegisterFile().set("rax", 0xdead_0000_0000_0027n).set("rbx", 0xffff_ffff_0000_0003n).set("rsi", 0x1_0000_0000n).set("rdi", 0x1_0000_0005n);
    const d = abi.decode(regs, 32, lookup);
    expect(d.convention.id).toBe("x86_32-compat");
    expect(d.number).toBe(39n);
    expect(d.args.map((a) => [a.register, a.value])).toEqual([["ebx", 3n], ["ecx", 0n], ["edx", 0n], ["esi", 0n], ["edi", 5n]]);
    // the same registers as a 64-bit guest: rax is not 39, and rdi (cmd) violates its 32-bit width
    expect(abi.decode(regs, 64, lookup).call).toBeUndefined();
    regs.set("rax", 39n);
    expect(() => abi.decode(regs, 64, lookup)).toThrow(HypercallArgumentError);
    // after compat-mode execution the upper halves are UNKNOWN: compat decode still works,
    // the upper halves stay UNKNOWN (low-halves rule: neither read nor zeroed)
    regs.afterNarrowExecution(COMPATIBILITY_MODE);
    const c = abi.decode(regs, 32, lookup);
    expect(c.args[0]!.value).toBe(3n);
    expect(() => c.entryRegisters.get("rbx")).toThrow(UnknownRegisterValueError);
    expect(() => abi.decode(regs, 64, lookup)).toThrow(UnknownRegisterValueError);
  });

  it("encodes a 32-bit guest call in eax/ebx.. and refuses values over 32 bits", () => {
    const enc = abi.encode(SIGNED, [-1n, 0xffff_ffffn], { guestBits: 32 });
    expect(enc.registers.get("rbx")).toBe(0xffff_ffffn);
    expect(enc.registers.get("rcx")).toBe(0xffff_ffffn);
    expect(() => abi.encode(SIGNED, [0n, 0x1_0000_0000n], { guestBits: 32 })).toThrow(HypercallArgumentError);
    expect(() => abi.encode(SIGNED, [0n, 0x1_0000_0000n])).not.toThrow();
  });

  it("has syscall/vmcall/vmmcall/int $0x82 bytes as the assembler emits them, and 32-byte page stubs", () => {
    const bytes = Object.fromEntries([...abi.convention(64).instructions, ...abi.convention(32).instructions].map((i) => [i.mnemonic, [...i.bytes]]));
    expect(bytes).toEqual({ syscall: [0x0f, 0x05], vmcall: [0x0f, 0x01, 0xc1], vmmcall: [0x0f, 0x01, 0xd9], "int $0x82": [0xcd, 0x82] });
    expect(abi.convention(64).page!.stride).toBe(32);
    const stub = x86HypercallPageStub(37, "intel");
    expect([...stub]).toEqual([0xb8, 37, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3]);
    expect(stub.length).toBeLessThanOrEqual(32);
    if (requireTool("x86_64-linux-gnu-as")) {
      for (const m of ["syscall", "vmcall", "vmmcall", "int $0x82"]) {
        expect([...assemble("x86_64-linux-gnu-", [], `${m}\n`)]).toEqual(bytes[m]);
      }
      expect(assemble("x86_64-linux-gnu-", [], "mov $37, %eax\nvmcall\nret\n")).toEqual(stub);
    }
  });
});
