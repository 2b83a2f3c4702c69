import { describe, expect, it } from "vitest";
import { HypercallArgumentError } from "@handoff/core";
import { readCValue } from "@handoff/core/c-abi";
import { ARGO_OP, XEN_ARGO_MAXIOV, XEN_ARGO_MAX_MESSAGE_SIZE, XEN_ARGO_MAX_RING_SIZE, argoMessageFootprint, argoNotify, argoRegisterRing, argoRingPages, argoSendv, argoUnregisterRing, findXenHypercall, validateArgoRing, xenTypes } from "@handoff/xen";
import { ARCHES, abiOf } from "./arches.js";

const src = { aport: 1, domainId: 0x7ff0 };
const dst = { aport: 80, domainId: 0 };

describe("argo_op", () => {
  it("derives the limits from the header values", () => {
    expect(XEN_ARGO_MAX_MESSAGE_SIZE).toBe(0xffffe0);
    expect(argoRingPages(4096 - 64)).toBe(1);
    expect(argoRingPages(4096 - 48)).toBe(2);
    expect(argoMessageFootprint(1)).toBe(32);
    expect(XEN_ARGO_MAX_RING_SIZE >> 12).toBe(argoRingPages(XEN_ARGO_MAX_RING_SIZE) - 1);
  });

  it("sendv: iovs laid out per arch, niov in arg3, message type in arg4", () => {
    for (const [arch, bits, iovSize] of [["x86_64", 64, 16], ["x86_64", 32, 12], ["arm32", 32, 16], ["arm64", 64, 16]] as const) {
      const abi = abiOf(arch);
      const enc = argoSendv(abi, { src, dst, iovs: [{ address: 0x1000n, length: 100 }, { address: 0x3000n, length: 28 }], messageType: 0xabcdn }, { address: 0x8000n, iovAddress: 0x9000n, guestBits: bits });
      const c = enc.convention;
      expect(enc.registers.get(c.numberRegister)).toBe(39n);
      expect(enc.registers.get(c.argumentRegisters[0]!)).toBe(3n);
      expect(enc.registers.get(c.argumentRegisters[3]!)).toBe(2n);
      expect(enc.registers.get(c.argumentRegisters[4]!)).toBe(0xabcdn);
      const iovBuf = enc.buffers.find((b) => b.address === 0x9000n)!;
      expect(iovBuf.length).toBe(BigInt(2 * iovSize));
      const iovs = xenTypes(abi, bits).layout("xen_argo_iov_t");
      expect(readCValue(iovs, (iovBuf.data as { bytes: Uint8Array }).bytes, iovSize)).toEqual({ iov_hnd: 0x3000n, iov_len: 28n, pad: 0n });
    }
  });

  it("refuses more than XEN_ARGO_MAXIOV iovs, oversized messages and a 33-bit message type", () => {
    const abi = abiOf("arm64");
    const o = { address: 0x8000n, iovAddress: 0x9000n };
    const iov = (length: number) => ({ address: 0x1000n, length });
    expect(() => argoSendv(abi, { src, dst, iovs: Array.from({ length: XEN_ARGO_MAXIOV }, () => iov(1)), messageType: 0n }, o)).not.toThrow();
    expect(() => argoSendv(abi, { src, dst, iovs: Array.from({ length: XEN_ARGO_MAXIOV + 1 }, () => iov(1)), messageType: 0n }, o)).toThrow(/XEN_ARGO_MAXIOV/);
    expect(() => argoSendv(abi, { src, dst, iovs: [iov(XEN_ARGO_MAX_MESSAGE_SIZE + 1)], messageType: 0n }, o)).toThrow(/maximum message size/);
    expect(() => argoSendv(abi, { src, dst, iovs: [iov(XEN_ARGO_MAX_MESSAGE_SIZE), iov(1)], messageType: 0n }, o)).toThrow(/total/);
    expect(() => argoSendv(abi, { src, dst, iovs: [iov(1)], messageType: 1n << 32n }, o)).toThrow(HypercallArgumentError);
  });

  it("hypervisor side: arg3/arg4 with upper bits set are rejected for a 64-bit guest, accepted in range", () => {
    const abi = abiOf("x86_64");
    const enc = argoSendv(abi, { src, dst, iovs: [{ address: 0x1000n, length: 4 }], messageType: 0xffff_ffffn }, { address: 0x8000n, iovAddress: 0x9000n });
    expect(abi.decode(enc.registers, 64, findXenHypercall).args[4]!.value).toBe(0xffff_ffffn);
    enc.registers.set("r8", 0x1_ffff_ffffn);
    expect(() => abi.decode(enc.registers, 64, findXenHypercall)).toThrow(/arg4/);
    expect(findXenHypercall(39)).toBe(ARGO_OP);
  });

  it("register_ring checks length, slot multiple and page count; unregister/notify pass zeros", () => {
    const abi = abiOf("arm64");
    const enc = argoRegisterRing(abi, { aport: 5, partnerId: 1, len: 4096 - 64, gfns: [0x12345n] }, { address: 0x8000n, gfnAddress: 0x9000n });
    expect(enc.registers.get("x0")).toBe(1n);
    expect(enc.registers.get("x3")).toBe(1n);
    expect(() => validateArgoRing(32, 1)).toThrow(/minimum/);
    expect(() => validateArgoRing(4100, 2)).toThrow(/multiple/);
    expect(() => validateArgoRing(4096, 1)).toThrow(/needs 2/);
    expect(() => validateArgoRing(XEN_ARGO_MAX_RING_SIZE + 16, 4098)).toThrow(/exceeds/);
    const un = argoUnregisterRing(abi, { aport: 5, partnerId: 1 }, { address: 0x8000n });
    expect(["x2", "x3", "x4"].map((r) => un.registers.get(r))).toEqual([0n, 0n, 0n]);
    const n = argoNotify(ARCHES.arm32.hypercallAbi!, [{ ring: dst, spaceRequired: 64 }], { address: 0x8000n });
    expect(n.buffers[0]!.length).toBe(8n + 20n);
    expect(argoNotify(abi, undefined, { address: 0n }).registers.get("x1")).toBe(0n);
  });
});
