import { describe, expect, it } from "vitest";
import { XEN_KEXEC_LOAD_SIZE, XEN_KEXEC_SEGMENT_SIZE, encodeXenKexecLoad, encodeXenKexecSegments } from "@handoff/xen";

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");
const seg = { buf: 0x4000116300n, bufsz: 0x30n, mem: 0x100000n, memsz: 0x1000n };

describe("Xen xen_kexec_segment_t / xen_kexec_load_t", () => {
  it("32 bytes per segment on every arch; a 4-byte x86_32 handle is zero-padded in its union", () => {
    expect(XEN_KEXEC_SEGMENT_SIZE).toBe(32);
    const le8 = encodeXenKexecSegments([seg], { handleBytes: 8, endianness: "little" });
    expect(hexOf(le8)).toBe("0063110040000000" + "3000000000000000" + "0000100000000000" + "0010000000000000");
    const x86_32 = encodeXenKexecSegments([{ ...seg, buf: 0x8049000n }], { handleBytes: 4, endianness: "little" });
    expect(hexOf(x86_32)).toBe("0090040800000000" + "3000000000000000" + "0000100000000000" + "0010000000000000");
    expect(() => encodeXenKexecSegments([seg], { handleBytes: 4, endianness: "little" })).toThrow(/32-bit guest handle/);
    // Sizes and destinations are uint64_t even for 32-bit guests.
    const high = encodeXenKexecSegments([{ buf: 0x1000n, bufsz: 0n, mem: 0x1_0000_0000n, memsz: 0x1000n }], { handleBytes: 4, endianness: "little" });
    expect(hexOf(high.subarray(16, 24))).toBe("0000000001000000");
  });
  it("xen_kexec_load_t is 24 bytes: type, pad, arch u16, nr_segments u32, handle, entry_maddr", () => {
    const b = encodeXenKexecLoad({ type: 0, elfMachine: 62, nrSegments: 5, segments: 0xffff8000deadb000n, entry: 0x63fff7760n }, { handleBytes: 8, endianness: "little" });
    expect(b.length).toBe(XEN_KEXEC_LOAD_SIZE);
    expect(hexOf(b)).toBe("00003e00" + "05000000" + "00b0adde0080ffff" + "6077ff3f06000000");
    expect(() => encodeXenKexecLoad({ type: 256, elfMachine: 62, nrSegments: 1, segments: 0n, entry: 0n }, { handleBytes: 8, endianness: "little" })).toThrow(/uint8_t/);
  });
});
