import { describe, expect, it } from "vitest";
import { HypercallArgumentError, type Hypercall } from "@handoff/core";
import { ARM32_REGISTERS, arm32Architecture } from "@handoff/arm32";
import { assemble, requireTool } from "../../core/test/tools.js";

const arch = arm32Architecture;
const abi = arch.hypercallAbi!;
const CALL: Hypercall = { name: "memory_op", number: 12, args: [{ name: "cmd", kind: "scalar", width: "word" }, { name: "arg", kind: "handle" }] };

describe("arm32 Xen hypercall convention", () => {
  it("uses r12 and r0..r4, result r0, clobbers r12 and r1", () => {
    const enc = abi.encode(CALL, [9n, 0x4000_0000n]);
    expect(enc.registers.get("r12")).toBe(12n);
    expect(enc.registers.get("r0")).toBe(9n);
    expect(enc.registers.get("r1")).toBe(0x4000_0000n);
    expect([...enc.clobbered].sort()).toEqual(["r1", "r12"]);
    expect(() => abi.encode(CALL, [0n, 1n << 32n])).toThrow(HypercallArgumentError);
  });

  it("has A32 and T32 hvc #0xEA1 encodings equal to the assembler's", () => {
    const [a32, t32] = abi.convention().instructions;
    if (requireTool("arm-linux-gnueabihf-as")) {
      expect(assemble("arm-linux-gnueabihf-", ["-march=armv7ve"], ".arm\nhvc #0xea1\n")).toEqual(a32!.bytes);
      expect(assemble("arm-linux-gnueabihf-", ["-march=armv7ve"], ".syntax unified\n.thumb\nhvc #0xea1\n")).toEqual(t32!.bytes);
    }
  });
});
