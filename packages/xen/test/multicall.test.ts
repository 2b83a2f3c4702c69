import { describe, expect, it } from "vitest";
import { FormatError, HypercallArgumentError } from "@handoff/core";
import { encodeCValue, writeCValue } from "@handoff/core/c-abi";
import { KEXEC_OP, MEMORY_OP, MulticallArgumentError, decodeMulticall, encodeMulticall, xenTypes } from "@handoff/xen";
import { abiOf } from "./arches.js";

describe("multicall", () => {
  it("encodes entries with the arch's xen_ulong_t (4 bytes on x86_32, 8 on arm32)", () => {
    for (const [arch, size] of [["x86_32", 32], ["arm32", 64], ["arm64", 64]] as const) {
      const abi = abiOf(arch);
      const enc = encodeMulticall(abi, [{ call: MEMORY_OP, args: [1n, 0x1000n] }, { call: KEXEC_OP, args: [6n, 0x2000n] }], { address: 0x4000n });
      const c = enc.convention;
      expect(enc.registers.get(c.numberRegister)).toBe(13n);
      expect(enc.registers.get(c.argumentRegisters[0]!)).toBe(0x4000n);
      expect(enc.registers.get(c.argumentRegisters[1]!)).toBe(2n);
      expect(enc.buffers[0]!.length).toBe(BigInt(2 * size));
      const back = decodeMulticall(abi, (enc.buffers[0]!.data as { bytes: Uint8Array }).bytes, 2);
      expect(back.map((e) => [e.op, e.args[0], e.args[1], e.call?.name])).toEqual([[12n, 1n, 0x1000n, "memory_op"], [37n, 6n, 0x2000n, "kexec_op"]]);
    }
  });

  it("rejects an argument with upper bits set from an AArch32 guest, accepts it from AArch64 (check_multicall_32bit_clean)", () => {
    const abi = abiOf("arm64");
    const layout = xenTypes(abi, 32).layout("multicall_entry_t");
    const bytes = encodeCValue(layout, { op: 12n, args: [1n, 0x1_0000_1000n] });
    expect(() => decodeMulticall(abi, bytes, 1, { guestBits: 32 })).toThrow(MulticallArgumentError);
    expect(decodeMulticall(abi, bytes, 1, { guestBits: 64 })[0]!.args[1]).toBe(0x1_0000_1000n);
    // clean value: accepted from AArch32
    writeCValue(layout, { op: 12n, args: [1n, 0x1000n] }, bytes);
    expect(decodeMulticall(abi, bytes, 1, { guestBits: 32 })[0]!.args[1]).toBe(0x1000n);
    // unused argument slots are not checked (Xen checks hypercall_args[op] of them)
    writeCValue(layout, { op: 12n, args: [1n, 0x1000n, 0xffff_0000_0000_0000n] }, bytes);
    expect(() => decodeMulticall(abi, bytes, 1, { guestBits: 32 })).not.toThrow();
  });

  it("a 32-bit guest's entry values must fit 32 bits when encoded; reads are bounds-checked", () => {
    const abi = abiOf("arm64");
    expect(() => encodeMulticall(abi, [{ call: MEMORY_OP, args: [1n, 1n << 32n] }], { address: 0n, guestBits: 32 })).toThrow(HypercallArgumentError);
    expect(() => encodeMulticall(abi, [{ call: MEMORY_OP, args: [1n, 1n << 32n] }], { address: 0n, guestBits: 64 })).not.toThrow();
    expect(() => decodeMulticall(abi, new Uint8Array(100), 2)).toThrow(FormatError);
    expect(() => decodeMulticall(abi, new Uint8Array(0), 1 << 20)).toThrow(/outside/);
  });
});
