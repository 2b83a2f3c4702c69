import { describe, expect, it } from "vitest";
import { HypercallArgumentError, RegisterWidthError, UnknownRegisterValueError } from "@handoff/core";
import { encodeHvcA32, encodeHvcA64, encodeHvcT32 } from "@handoff/arm";
import { AARCH32_MODE, ARM64_REGISTERS, arm64Architecture } from "@handoff/arm64";
import { assemble, requireTool } from "@handoff/test-support/assemble";
import { ARGO_OP_SHAPED, hypercallLookup } from "@handoff/test-support/hypercalls";

const arch = arm64Architecture;
const abi = arch.hypercallAbi!;
const CALL = ARGO_OP_SHAPED;
const lookup = hypercallLookup(CALL);

describe("arm64 Xen hypercall convention", () => {
  it("puts the number in x16 and arguments in x0..x4; clobbers x16 and x1..x4, result in x0", () => {
    const enc = abi.encode(CALL, [3n, 0xffff000012340000n, 0x8000n, 2n, 7n]);
    expect(enc.registers.get("x16")).toBe(39n);
    expect(enc.registers.get("x0")).toBe(3n);
    expect(enc.registers.get("x1")).toBe(0xffff000012340000n);
    expect(enc.registers.get("x4")).toBe(7n);
    expect(enc.convention.resultRegister).toBe("x0");
    expect([...enc.clobbered].sort()).toEqual(["x1", "x16", "x2", "x3", "x4"]);
  });

  it("refuses a value wider than its declared width instead of truncating", () => {
    expect(() => abi.encode(CALL, [1n << 32n, 0n, 0n, 0n, 0n])).toThrow(HypercallArgumentError);
    expect(() => abi.encode(CALL, [0n, 0n, 0n, 0n, -1n])).toThrow(/does not fit 32-bit/);
    // an AArch32 guest's handle is 32 bits
    expect(() => abi.encode(CALL, [0n, 1n << 32n, 0n, 0n, 0n], { guestBits: 32 })).toThrow(HypercallArgumentError);
  });

  it("checks the upper bits of a 32-bit argument in a 64-bit register (both ways)", () => {
    const regs = arch.createRegisterFile().set("x16", 39n).set("x0", 3n).set("x3", 1n).set("x4", 0xffffffffn);
    const ok = abi.decode(regs, 64, lookup);
    expect(ok.args.map((a) => a.value)).toEqual([3n, 0n, 0n, 1n, 0xffffffffn]);
    regs.set("x3", 0x1_0000_0001n);
    expect(() => abi.decode(regs, 64, lookup)).toThrow(/arg3.*bits set above the declared 32-bit width/);
    regs.set("x3", 1n).set("x0", 0xffffffff_00000003n);
    expect(() => abi.decode(regs, 64, lookup)).toThrow(HypercallArgumentError);
  });

  it("zeroes the upper halves on entry from an AArch32 guest (accept), where a 64-bit read of the same state fails (reject)", () => {
    const regs = arch.createRegisterFile().set("x12", 39n).set("x0", 3n).set("x1", 0x8000n).set("x20", 0x1234n);
    regs.afterNarrowExecution(AARCH32_MODE); // upper halves now UNKNOWN (Arm ARM D1.20.1)
    const d = abi.decode(regs, 32, lookup);
    expect(d.convention.id).toBe("aarch32");
    expect(d.number).toBe(39n);
    expect(d.args[0]).toMatchObject({ register: "w0", value: 3n });
    expect(d.args[1]).toMatchObject({ register: "w1", value: 0x8000n });
    expect(d.entryRegisters.get("x0")).toBe(3n); // known again: upper half zero
    expect(d.entryRegisters.get("x12")).toBe(39n);
    expect(() => abi.decode(regs, 64, () => CALL)).toThrow(UnknownRegisterValueError);
  });

  it("in AArch32 state a 32-bit argument is the whole register, so no upper bits exist to reject", () => {
    const regs = arch.createRegisterFile().set("x12", 39n).set("x3", 0xffff_ffff_0000_0001n);
    // without the entry rule the upper half would make arg3 invalid; with it, arg3 is 1
    expect(abi.decode(regs, 32, lookup).args[3]!.value).toBe(1n);
  });

  it("encodes for an AArch32 guest in w12/w0.. and refuses 64-bit values", () => {
    const enc = abi.encode(CALL, [4n, 0x1000n, 0n, 0n, 0n], { guestBits: 32 });
    expect(enc.registers.get("x12")).toBe(39n);
    expect(enc.assignments.map((a) => a.register)).toEqual(["w12", "w0", "w1", "w2", "w3", "w4"]);
    expect(() => arch.createRegisterFile().set("w0", 1n << 32n)).toThrow(RegisterWidthError);
  });

  it("gives hvc #0xEA1 bytes the GNU assembler produces for A64, A32 and T32", () => {
    const a64 = abi.convention(64).instructions[0]!;
    expect([...a64.bytes]).toEqual([0x22, 0xd4, 0x01, 0xd4]);
    const [a32, t32] = abi.convention(32).instructions;
    expect([...a32!.bytes]).toEqual([0x71, 0xea, 0x40, 0xe1]);
    expect([...t32!.bytes]).toEqual([0xe0, 0xf7, 0xa1, 0x8e]);
    if (requireTool("aarch64-linux-gnu-as")) {
      expect(assemble("aarch64-linux-gnu-", [], "hvc #0xea1\n")).toEqual(a64.bytes);
    }
    if (requireTool("arm-linux-gnueabihf-as")) {
      expect(assemble("arm-linux-gnueabihf-", ["-march=armv7ve"], ".arm\nhvc #0xea1\n")).toEqual(a32!.bytes);
      expect(assemble("arm-linux-gnueabihf-", ["-march=armv7ve"], ".syntax unified\n.thumb\nhvc #0xea1\n")).toEqual(t32!.bytes);
    }
  });

  it("core's HVC encoders agree with the assembler for other immediates too", () => {
    const imms = [0, 1, 0x10, 0x1234, 0xffff];
    if (requireTool("aarch64-linux-gnu-as")) {
      const a64 = assemble("aarch64-linux-gnu-", [], imms.map((i) => `hvc #${i}\n`).join(""));
      expect(a64).toEqual(new Uint8Array(imms.flatMap((i) => [...encodeHvcA64(i)])));
    }
    if (requireTool("arm-linux-gnueabihf-as")) {
      const a32 = assemble("arm-linux-gnueabihf-", ["-march=armv7ve"], ".arm\n" + imms.map((i) => `hvc #${i}\n`).join(""));
      expect(a32).toEqual(new Uint8Array(imms.flatMap((i) => [...encodeHvcA32(i)])));
      const t32 = assemble("arm-linux-gnueabihf-", ["-march=armv7ve"], ".syntax unified\n.thumb\n" + imms.map((i) => `hvc #${i}\n`).join(""));
      expect(t32).toEqual(new Uint8Array(imms.flatMap((i) => [...encodeHvcT32(i)])));
    }
  });
});
