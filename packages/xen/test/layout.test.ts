import { describe, expect, it } from "vitest";
import { xenTypes } from "@handoff/xen";
import { abiOf } from "./arches.js";

// Figures derived by hand from the public headers and each psABI; the
// compiler test checks every member of every struct on top of these.
describe("Xen struct layouts per arch", () => {
  const size = (arch: Parameters<typeof abiOf>[0], name: string, bits?: 32 | 64) => xenTypes(abiOf(arch), bits).layout(name).size;

  it("xen_ulong_t and xen_pfn_t: 4 bytes on x86_32, 8 elsewhere (arm32 too)", () => {
    expect(["x86_32", "x86_64", "arm32", "arm64"].map((a) => size(a as never, "xen_ulong_t"))).toEqual([4, 8, 8, 8]);
    expect(["x86_32", "x86_64", "arm32", "arm64"].map((a) => size(a as never, "xen_pfn_t"))).toEqual([4, 8, 8, 8]);
  });

  it("a guest handle is 4 bytes in memory on x86_32 and 8 elsewhere, 8-aligned on arm32", () => {
    const h = (a: Parameters<typeof abiOf>[0]) => xenTypes(abiOf(a)).field("xen_memory_map_t", "buffer");
    expect([h("x86_32").offset, h("x86_32").layout.size]).toEqual([4, 4]);
    expect([h("arm32").offset, h("arm32").layout.size, h("arm32").layout.align]).toEqual([8, 8, 8]);
    expect([h("x86_64").offset, h("arm64").offset]).toEqual([8, 8]);
  });

  it("unsigned long fields change with the guest, fixed-width ones do not", () => {
    expect([size("x86_32", "xen_kexec_range_t"), size("arm32", "xen_kexec_range_t"), size("x86_64", "xen_kexec_range_t"), size("arm64", "xen_kexec_range_t")]).toEqual([16, 16, 24, 24]);
    for (const a of ["x86_32", "x86_64", "arm32", "arm64"] as const) {
      expect(size(a, "xen_kexec_segment_t")).toBe(32);
      expect(size(a, "xen_kexec_load_t")).toBe(24);
      expect(xenTypes(abiOf(a)).field("xen_kexec_load_t", "entry_maddr").offset).toBe(16);
    }
  });

  it("vcpu_info: 64 bytes on x86_64 (arch-x86/xen.h's pad), 48 on i386 and Arm; shared_info's arrays follow the arch", () => {
    expect([size("x86_64", "vcpu_info_t"), size("x86_32", "vcpu_info_t"), size("x86_64", "vcpu_info_t", 32)]).toEqual([64, 48, 48]);
    for (const a of ["x86_32", "x86_64", "arm32", "arm64"] as const) expect(size(a, "vcpu_time_info_t")).toBe(32);
    // Arm: empty arch_vcpu_info, 64-bit evtchn_pending_sel at 8, time at 16; one legacy vCPU.
    expect([size("arm32", "vcpu_info_t"), size("arm64", "vcpu_info_t")]).toEqual([48, 48]);
    const sh = (a: Parameters<typeof abiOf>[0], m: string, bits?: 32 | 64) => xenTypes(abiOf(a), bits).field("shared_info_t", m).offset;
    // evtchn_pending follows 32 (x86) or 1 (Arm) vcpu_info; it and evtchn_mask have sizeof(xen_ulong_t) * 8 words.
    expect([sh("x86_64", "evtchn_pending"), sh("x86_32", "evtchn_pending"), sh("arm64", "evtchn_pending")]).toEqual([32 * 64, 32 * 48, 48]);
    expect([sh("x86_64", "wc_version"), sh("x86_32", "wc_version"), sh("x86_64", "wc_version", 32), sh("arm32", "wc_version")]).toEqual([
      2048 + 2 * 64 * 8,
      1536 + 2 * 32 * 4,
      1536 + 2 * 32 * 4,
      48 + 2 * 64 * 8,
    ]);
    // i386 keeps wc_sec_hi in arch_shared_info (after six 4-byte words), everyone else in shared_info.
    expect(() => xenTypes(abiOf("x86_32")).field("shared_info_t", "wc_sec_hi")).toThrow();
    expect(xenTypes(abiOf("x86_32")).field("shared_info_t", "arch.wc_sec_hi").offset).toBe(1792 + 12 + 24);
  });

  it("start_info: unsigned long members change with the guest; cmd_line is 1024 bytes", () => {
    const si = (bits: 32 | 64, m: string) => xenTypes(abiOf("x86_64"), bits).field("start_info_t", m).offset;
    expect([si(64, "mfn_list"), si(64, "cmd_line"), size("x86_64", "start_info_t")]).toEqual([104, 128, 1168]);
    expect([si(32, "mfn_list"), si(32, "cmd_line"), size("x86_64", "start_info_t", 32)]).toEqual([68, 80, 1112]);
  });

  it("a 32-bit x86 guest on x86_64 Xen uses the i386 layouts (compat)", () => {
    expect(size("x86_64", "multicall_entry_t", 32)).toBe(32);
    expect(size("x86_64", "multicall_entry_t", 64)).toBe(64);
    expect(size("arm64", "multicall_entry_t", 32)).toBe(64); // Arm: xen_ulong_t is 64-bit for AArch32 too
    expect(size("x86_64", "xen_argo_iov_t", 32)).toBe(12);
    expect(size("arm64", "xen_argo_iov_t", 32)).toBe(16);
  });

  it("xen_memory_reservation_t: handle, xen_ulong_t, two ints, domid", () => {
    expect(size("x86_32", "xen_memory_reservation_t")).toBe(20);
    expect(size("x86_64", "xen_memory_reservation_t")).toBe(32);
    expect(size("arm32", "xen_memory_reservation_t")).toBe(32);
    expect(xenTypes(abiOf("x86_32")).field("xen_add_to_physmap_t", "gpfn").offset).toBe(12);
    expect(xenTypes(abiOf("arm32")).field("xen_add_to_physmap_t", "idx").offset).toBe(8);
  });
});
