import { describe, expect, it } from "vitest";
import { hypercallPageStub } from "@handoff/x86";

describe("Xen hypercall page stub (x86)", () => {
  it("is mov $nr, %eax; the trap; ret", () => {
    expect([...hypercallPageStub(0x1234, new Uint8Array([0x0f, 0x01, 0xd9]))]).toEqual([0xb8, 0x34, 0x12, 0, 0, 0x0f, 0x01, 0xd9, 0xc3]);
    expect(() => hypercallPageStub(-1, new Uint8Array([0x0f, 0x01, 0xd9]))).toThrow(/hypercall number/);
  });
});
