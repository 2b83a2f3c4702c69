import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SegmentSetError } from "@handoff/core/kexec";
import { ValidationError, type Image, type Segment } from "@handoff/core";
import { readCValue } from "@handoff/core/c-abi";
import { KEXEC_OP, XEN_KEXEC_MAX_SEGMENTS, findXenHypercall, planKexecLoad, validateKexecSegments, xenTypes } from "@handoff/xen";
import { ARCHES, abiOf } from "./arches.js";
import { fixtureKernel } from "@handoff/test-support";

const seg = (mem: bigint, memsz: bigint, bufsz = memsz): Segment => ({
  data: bufsz ? { kind: "bytes", bytes: new Uint8Array(Number(bufsz)) } : { kind: "zero" },
  bufsz,
  mem,
  memsz,
  role: "other",
});
const image = (segments: Segment[], entry = 0x4020_0000n): Image => ({ format: "raw", arch: undefined, entry: { phys: entry }, segments, metadata: {}, source: { path: "mem", size: 0 } });

/** The core segment rule a Xen segment list broke (validateKexecSegments throws core's SegmentSetError). */
function ruleBroken(f: () => void): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof SegmentSetError ? e.rule : `not a SegmentSetError: ${String(e)}`;
  }
  return undefined;
}

describe("kexec_op load", () => {
  it("builds the registers and the counted segment array for the real arm64 kernel", () => {
    const path = fixtureKernel("arm64-Image-6.1.0-50-cloud-arm64");
    if (!path) return;
    const size = BigInt(statSync(path).size);
    const img = image([{ data: { kind: "file", path, offset: 0, length: Number(size) }, bufsz: size, mem: 0x4020_0000n, memsz: size, role: "kernel" }]);
    const abi = abiOf("arm64");
    const plan = planKexecLoad(abi, img, { elfMachine: ARCHES.arm64.elfMachine, bufferBase: 0x1_0000_0000n });
    const regs = plan.encoded.registers;
    expect(regs.get("x16")).toBe(37n);
    expect(regs.get("x0")).toBe(4n); // KEXEC_CMD_kexec_load
    expect(regs.get("x1")).toBe(0x1_0000_0000n);
    // the load struct read back from the bytes the guest must place
    const env = xenTypes(abi);
    const loadBuf = plan.buffers[0]!;
    expect(loadBuf.address).toBe(0x1_0000_0000n);
    const load = readCValue(env.layout("xen_kexec_load_t"), (loadBuf.data as { bytes: Uint8Array }).bytes) as Record<string, any>;
    expect(load.arch).toBe(183n);
    expect(load.nr_segments).toBe(1n);
    expect(load.entry_maddr).toBe(0x4020_0000n);
    expect(load.segments.h).toBe(plan.segments.address);
    const s = readCValue(env.layout("xen_kexec_segment_t"), plan.segments.bytes) as Record<string, any>;
    expect(s.buf_size).toBe(size);
    expect(s.dest_maddr).toBe(0x4020_0000n);
    expect(s.dest_size).toBe((size + 4095n) & ~4095n);
    expect(s.buf.h).toBe(plan.buffers[2]!.address);
    expect(plan.buffers[2]!.data).toEqual({ kind: "file", path, offset: 0, length: Number(size) });
    expect(plan.buffers[2]!.address % 4096n).toBe(0n);
    expect(findXenHypercall(regs.get("x16"))).toBe(KEXEC_OP);
  });

  it("lays the same load out for a 32-bit x86 guest with 4-byte handles inside 8-byte unions", () => {
    const abi = abiOf("x86_32");
    const plan = planKexecLoad(abi, image([seg(0x100000n, 0x2000n, 0x1800n), seg(0x200000n, 0x1000n, 0n)]), { elfMachine: 3, bufferBase: 0x8000_0000n });
    expect(plan.encoded.registers.get("eax")).toBe(37n);
    expect(plan.encoded.registers.get("ebx")).toBe(4n);
    expect(plan.encoded.registers.get("ecx")).toBe(0x8000_0000n);
    expect(plan.segments.bytes.length).toBe(64);
    expect(plan.segments.values[1]!.buf).toBe(0n); // no bytes: NULL buffer, nothing placed
    expect(plan.buffers).toHaveLength(3);
    expect(() => planKexecLoad(abi, image([seg(0x100000n, 0x1000n)]), { elfMachine: 3, bufferBase: 0xffff_f000n })).toThrow(/32-bit guest/);
  });

  it("applies Xen's segment rules: count, page alignment, overlap, buf_size <= dest_size, wrap", () => {
    const ok = { buf: 0n, buf_size: 0x1000n, dest_maddr: 0x1000n, dest_size: 0x1000n };
    expect(() => validateKexecSegments([ok])).not.toThrow();
    expect(() => validateKexecSegments(Array.from({ length: XEN_KEXEC_MAX_SEGMENTS }, (_, i) => ({ ...ok, dest_maddr: BigInt(i + 1) * 0x1000n })))).not.toThrow();
    expect(() => validateKexecSegments(Array.from({ length: 16 }, (_, i) => ({ ...ok, dest_maddr: BigInt(i + 1) * 0x1000n })))).toThrow(/more than the 15 allowed/);
    expect(ruleBroken(() => validateKexecSegments(Array.from({ length: 16 }, (_, i) => ({ ...ok, dest_maddr: BigInt(i + 1) * 0x1000n }))))).toBe("count");
    expect(() => validateKexecSegments([{ ...ok, dest_maddr: 0x1800n }])).toThrow(/0x1000-aligned/);
    expect(() => validateKexecSegments([ok, { ...ok, dest_size: 0x2000n, dest_maddr: 0n }])).toThrow(/overlap/);
    expect(ruleBroken(() => validateKexecSegments([ok, { ...ok, dest_size: 0x2000n, dest_maddr: 0n }]))).toBe("overlap");
    expect(() => validateKexecSegments([{ ...ok, buf_size: 0x1001n }])).toThrow(/bufsz 0x1001 exceeds memsz/);
    expect(() => validateKexecSegments([{ ...ok, dest_maddr: 0xffff_ffff_ffff_f000n, dest_size: 0x2000n }])).toThrow(ValidationError);
  });
});
