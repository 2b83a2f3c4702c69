import { describe, expect, it } from "vitest";
import { HypercallArgumentError, RegisterWidthError, type Hypercall } from "@handoff/core";
import { X86_32_REGISTERS, x86_32Architecture } from "@handoff/x86_32";
import { assemble, requireTool } from "../../core/test/tools.js";

const arch = x86_32Architecture;
const abi = arch.hypercallAbi!;
const CALL: Hypercall = { name: "kexec_op", number: 37, args: [{ name: "op", kind: "scalar", width: "word" }, { name: "uarg", kind: "handle" }] };

describe("x86_32 Xen hypercall convention", () => {
  it("uses eax and ebx ecx edx esi edi; int $0x82", () => {
    const enc = abi.encode(CALL, [4n, { address: 0xc000_1000n, bytes: new Uint8Array(24) }]);
    expect(enc.registers.get("eax")).toBe(37n);
    expect(enc.registers.get("ebx")).toBe(4n);
    expect(enc.registers.get("ecx")).toBe(0xc000_1000n);
    expect(enc.buffers).toHaveLength(1);
    expect([...enc.clobbered].sort()).toEqual(["ebx", "ecx"]);
    expect(abi.convention().argumentRegisters).toEqual(["ebx", "ecx", "edx", "esi", "edi"]);
    expect(abi.convention().instructions.map((i) => i.mnemonic)).toContain("int $0x82");
    if (requireTool("i686-linux-gnu-as")) expect([...assemble("i686-linux-gnu-", [], "int $0x82\n")]).toEqual([0xcd, 0x82]);
  });

  it("refuses a word argument wider than 32 bits and has no 64-bit convention", () => {
    expect(() => abi.encode(CALL, [1n << 32n, 0n])).toThrow(HypercallArgumentError);
    expect(() => abi.convention(64)).toThrow(/no convention for a 64-bit guest/);
    expect(() => arch.createRegisterFile().set("ebx", 1n << 32n)).toThrow(RegisterWidthError);
    const regs = arch.createRegisterFile().set("eax", 37n).set("ebx", 0xffff_ffffn);
    expect(abi.decode(regs, 32, () => CALL).args[0]!.value).toBe(0xffff_ffffn);
  });
});
