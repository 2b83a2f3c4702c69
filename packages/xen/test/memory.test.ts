import { describe, expect, it } from "vitest";
import { readCValue } from "@handoff/core/c-abi";
import { DOMID_SELF, XENMAPSPACE, addToPhysmap, memoryMap, memoryReservation, xenTypes } from "@handoff/xen";
import { abiOf } from "./arches.js";

describe("memory_op", () => {
  it("increase_reservation: struct and xen_pfn_t list per arch", () => {
    for (const [arch, pfn] of [["x86_32", 4], ["x86_64", 8], ["arm32", 8]] as const) {
      const abi = abiOf(arch);
      const enc = memoryReservation(abi, "increase_reservation", { extents: [0x100n, 0x200n], extentOrder: 9 }, { address: 0x5000n, extentAddress: 0x6000n });
      expect(enc.registers.get(enc.convention.numberRegister)).toBe(12n);
      expect(enc.registers.get(enc.convention.argumentRegisters[0]!)).toBe(0n);
      const r = readCValue(xenTypes(abi).layout("xen_memory_reservation_t"), (enc.buffers[0]!.data as { bytes: Uint8Array }).bytes);
      expect(r).toEqual({ extent_start: 0x6000n, nr_extents: 2n, extent_order: 9n, mem_flags: 0n, domid: BigInt(DOMID_SELF) });
      expect(enc.buffers[1]!.length).toBe(BigInt(2 * pfn));
    }
  });

  it("memory_map and add_to_physmap", () => {
    const abi = abiOf("arm64");
    const mm = memoryMap(abi, 128, { address: 0x5000n, bufferAddress: 0x7000n });
    expect(mm.registers.get("x0")).toBe(9n);
    expect(readCValue(xenTypes(abi).layout("xen_memory_map_t"), mm.buffers[0]!.data.kind === "bytes" ? mm.buffers[0]!.data.bytes : new Uint8Array())).toEqual({ nr_entries: 128n, buffer: 0x7000n });
    const ap = addToPhysmap(abi, { space: XENMAPSPACE.shared_info, idx: 0n, gpfn: 0x38000n }, { address: 0x5000n });
    expect(ap.registers.get("x0")).toBe(7n);
    expect(() => addToPhysmap(abiOf("x86_32"), { space: 0, idx: 0n, gpfn: 1n << 32n }, { address: 0n })).toThrow(/does not fit/);
  });
});
