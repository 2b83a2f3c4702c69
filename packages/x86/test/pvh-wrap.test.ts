import { readFileSync } from "node:fs";
import { XEN_ELF_IMAGE_FORMAT, XEN_PVH_ENTRY_SOURCE } from "@handoff/xen";
import { describe, expect, it } from "vitest";
import { fixtureKernel } from "@handoff/test-support";
import { BootParams, EM_386, EM_X86_64, PVH_WRAP_LAYOUT, X86_PVH_WRAP_STUB, parseBzImage, wrapBzImageAsPvh } from "@handoff/x86";

const X86_64 = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
const X86_32_PAE = fixtureKernel("x86_32-bzImage-6.1.0-57-686-pae");
const read = (p: string) => new Uint8Array(readFileSync(p));
const sym = X86_PVH_WRAP_STUB.symbols;

/** The wrapped ELF as the project's ELF reader (with Xen's note decoder) sees it. */
function parsed(elf: Uint8Array) {
  const image = XEN_ELF_IMAGE_FORMAT.parse({ path: "wrapped.elf", bytes: elf });
  const bytesAt = (paddr: bigint) => {
    const s = image.segments.find((x) => x.mem === paddr)!;
    const d = s.data as { kind: "file"; offset: number; length: number };
    return { seg: s, bytes: elf.subarray(d.offset, d.offset + d.length) };
  };
  return { image, bytesAt };
}

describe.skipIf(!X86_64 || !X86_32_PAE)("handoff wrap --protocol pvh on the real bzImages", () => {
  for (const [path, arch] of [[X86_64!, "x86_64"], [X86_32_PAE!, "x86_32"]] as const) {
    it(`${arch}: PHYS32_ENTRY is the stub; the protected-mode kernel sits at pref_address with init_size room; boot_params is the bzImage's header`, () => {
      const kernel = read(path);
      const w = wrapBzImageAsPvh({ kernel, kernelPath: path });
      expect(w.arch).toBe(arch);
      const { image, bytesAt } = parsed(w.elf);
      expect(image.machine).toEqual({ scheme: "elf", value: arch === "x86_64" ? EM_X86_64 : EM_386 });
      expect((image.metadata as { entrySource?: string }).entrySource).toBe(XEN_PVH_ENTRY_SOURCE);
      expect(image.entry.phys).toBe(PVH_WRAP_LAYOUT.stub);
      expect(w.elf[4]).toBe(arch === "x86_64" ? 2 : 1); // ELFCLASS64 / ELFCLASS32
      const { info } = parseBzImage({ path, bytes: kernel });
      const f = info.header.fields as Record<string, number | bigint>;
      expect(w.kernelLoad).toBe(BigInt(f.pref_address!));
      const k = bytesAt(w.kernelLoad);
      expect(Buffer.from(k.bytes).equals(Buffer.from(kernel.subarray(info.kernelOffset, info.kernelOffset + info.kernelFileSize)))).toBe(true);
      expect(k.seg.memsz).toBe((BigInt(f.init_size!) + 0xfffn) & ~0xfffn);
      expect(w.kernelEntry).toBe(arch === "x86_64" ? w.kernelLoad + 0x200n : w.kernelLoad);
      // boot_params: the setup header byte for byte (0x1f1 .. 0x202 + jump's length byte), loader 0xFF, code32_start = load.
      const bp = bytesAt(PVH_WRAP_LAYOUT.bootParams).bytes;
      const decoded = BootParams.decode(new Uint8Array(bp));
      expect(Number(decoded.header.fields.type_of_loader)).toBe(0xff);
      expect(BigInt(decoded.header.fields.code32_start as number)).toBe(w.kernelLoad);
      const end = 0x202 + kernel[0x201]!;
      expect(Array.from(bp.subarray(0x1f1, 0x210))).toEqual(Array.from(kernel.subarray(0x1f1, 0x210)));
      expect(Array.from(bp.subarray(0x218, end))).toEqual(Array.from(kernel.subarray(0x218, end)));
      // Run-time fields left for the stub: no e820, no initrd, no cmdline, no RSDP.
      expect([decoded.e820.length, decoded.ramdiskImage, decoded.cmdLinePtr, decoded.acpiRsdpAddr]).toEqual([0, 0n, 0n, 0n]);
      // The stub's data block: where boot_params is, Linux's entry, CR3 (64-bit only), COM1.
      const stub = bytesAt(PVH_WRAP_LAYOUT.stub).bytes;
      const sv = new DataView(stub.buffer, stub.byteOffset, stub.byteLength);
      expect(BigInt(sv.getUint32(sym.hd_zero_page, true))).toBe(PVH_WRAP_LAYOUT.bootParams);
      expect(BigInt(sv.getUint32(sym.hd_entry, true))).toBe(w.kernelEntry);
      expect(BigInt(sv.getUint32(sym.hd_cr3, true))).toBe(arch === "x86_64" ? PVH_WRAP_LAYOUT.tables : 0n);
      expect(sv.getUint16(sym.hd_serial_port, true)).toBe(0x3f8);
      // GDT: __BOOT_CS (0x10) is 64-bit code for the 64-bit entry, 32-bit code for the 32-bit one; __BOOT_DS flat data.
      expect(sv.getBigUint64(sym.hd_gdt + 0x10, true)).toBe(arch === "x86_64" ? 0x00af9b000000ffffn : 0x00cf9b000000ffffn);
      expect(sv.getBigUint64(sym.hd_gdt + 0x18, true)).toBe(0x00cf93000000ffffn);
      expect(sv.getUint16(sym.hd_gdtr, true)).toBe(31);
      expect(w.haltPc).toBe(PVH_WRAP_LAYOUT.stub + BigInt(sym.hd_halt));
    });
  }

  it("x86_64: the identity tables map the low 4 GiB in 2 MiB pages (kernel + init_size, boot_params, any cmdline or initrd a loader puts there)", () => {
    const w = wrapBzImageAsPvh({ kernel: read(X86_64!), kernelPath: X86_64! });
    const t = parsed(w.elf).bytesAt(PVH_WRAP_LAYOUT.tables).bytes;
    const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
    const entry = (pa: bigint) => (pa === 0n ? 0n : v.getBigUint64(Number(pa - PVH_WRAP_LAYOUT.tables), true));
    const walk = (va: bigint) => {
      const pml4e = entry(PVH_WRAP_LAYOUT.tables + ((va >> 39n) & 511n) * 8n);
      if (!(pml4e & 1n)) return undefined;
      const pdpte = entry((pml4e & ~0xfffn) + ((va >> 30n) & 511n) * 8n);
      if (!(pdpte & 1n)) return undefined;
      const pde = entry((pdpte & ~0xfffn) + ((va >> 21n) & 511n) * 8n);
      if (!(pde & 1n) || !(pde & 0x80n)) return undefined;
      return (pde & ~0x1f_ffffn & 0xf_ffff_ffff_f000n) | (va & 0x1f_ffffn);
    };
    expect(w.pageTableRoot).toBe(PVH_WRAP_LAYOUT.tables);
    for (const va of [0n, PVH_WRAP_LAYOUT.stub, w.kernelEntry, w.kernelLoad + 0x3377fffn, 0x1fff_f000n, 0xffff_ffffn]) expect(walk(va), `va 0x${va.toString(16)}`).toBe(va);
    expect(walk(0x1_0000_0000n)).toBeUndefined();
  });

  it("takes --arch x86_32 for a 64-bit kernel (its 32-bit entry) and refuses x86_64 for a kernel without XLF_KERNEL_64", () => {
    const w = wrapBzImageAsPvh({ kernel: read(X86_64!), kernelPath: X86_64!, arch: "x86_32" });
    expect([w.arch, w.kernelEntry, w.pageTableRoot, w.elf[4]]).toEqual(["x86_32", w.kernelLoad, undefined, 1]);
    expect(() => wrapBzImageAsPvh({ kernel: read(X86_32_PAE!), kernelPath: X86_32_PAE!, arch: "x86_64" })).toThrow(/XLF_KERNEL_64 is clear/);
  });

  it("refuses hostile headers, naming the field: not a bzImage, protocol before 2.10, not relocatable, pref_address on the wrapper's pages or misaligned", () => {
    const base = read(X86_64!);
    const patched = (at: number, bytes: number[]) => {
      const k = base.slice();
      k.set(bytes, at);
      return () => wrapBzImageAsPvh({ kernel: k, kernelPath: "hostile" });
    };
    expect(() => wrapBzImageAsPvh({ kernel: new Uint8Array(4096), kernelPath: "zeros" })).toThrow(/zeros: bzImage boot_flag @0x1fe/);
    expect(patched(0x206, [0x09, 0x02])).toThrow(/boot protocol 2\.09 has no pref_address/);
    expect(patched(0x234, [0])).toThrow(/hostile relocatable_kernel: is 0/);
    expect(patched(0x258, [0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0])).toThrow(/hostile pref_address: 0x100000 is not/);
    expect(patched(0x258, [0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0])).toThrow(/pref_address: 0x1001000 is not a kernel_alignment-aligned/);
    expect(patched(0x258, [0x00, 0x00, 0x00, 0xff, 0, 0, 0, 0])).toThrow(/init_size.*passes 4 GiB/);
  });
});
