import { FormatError, MemoryMap, ValidationError } from "@handoff/core";
import { describe, expect, it } from "vitest";
import {
  BOOT_PARAMS_LAYOUT,
  BOOT_PARAMS_SIZE,
  BootParams,
  E820Type,
  SETUP_HEADER_FIELDS,
  SETUP_HEADER_SIZE,
  bootParamsOffset,
  memoryTypeOfE820,
} from "../src/index.js";
import { synthBzImage } from "./synth.js";
import { fixtureKernel, readFixture } from "@handoff/test-support";

describe("boot_params layout", () => {
  it("matches the offsets in bootparam.h / zero-page.rst", () => {
    // Offsets written out from the comments of struct boot_params.
    const expected: Record<string, number> = {
      screen_info: 0x000, apm_bios_info: 0x040, tboot_addr: 0x058, ist_info: 0x060, acpi_rsdp_addr: 0x070,
      hd0_info: 0x080, hd1_info: 0x090, sys_desc_table: 0x0a0, olpc_ofw_header: 0x0b0,
      ext_ramdisk_image: 0x0c0, ext_ramdisk_size: 0x0c4, ext_cmd_line_ptr: 0x0c8, cc_blob_address: 0x13c,
      edid_info: 0x140, efi_info: 0x1c0, alt_mem_k: 0x1e0, scratch: 0x1e4, e820_entries: 0x1e8,
      eddbuf_entries: 0x1e9, edd_mbr_sig_buf_entries: 0x1ea, kbd_status: 0x1eb, secure_boot: 0x1ec,
      sentinel: 0x1ef, hdr: 0x1f1, edd_mbr_sig_buffer: 0x290, e820_table: 0x2d0, eddbuf: 0xd00,
    };
    for (const [name, off] of Object.entries(expected)) expect(bootParamsOffset(name as never), name).toBe(off);
    const sum = BOOT_PARAMS_LAYOUT.reduce((n, f) => n + f.size, 0);
    expect(sum).toBe(4096);
    expect(BOOT_PARAMS_LAYOUT.find((f) => f.name === "e820_table")!.size).toBe(128 * 20);
  });

  it("setup header table matches boot.rst offsets and is 123 bytes", () => {
    const at = Object.fromEntries(SETUP_HEADER_FIELDS.map((f) => [f.name, f.offset]));
    expect(at).toMatchObject({
      setup_sects: 0x1f1, syssize: 0x1f4, boot_flag: 0x1fe, header: 0x202, version: 0x206, kernel_version: 0x20e,
      type_of_loader: 0x210, loadflags: 0x211, code32_start: 0x214, ramdisk_image: 0x218, ramdisk_size: 0x21c,
      heap_end_ptr: 0x224, cmd_line_ptr: 0x228, initrd_addr_max: 0x22c, kernel_alignment: 0x230,
      relocatable_kernel: 0x234, min_alignment: 0x235, xloadflags: 0x236, cmdline_size: 0x238,
      hardware_subarch: 0x23c, payload_offset: 0x248, payload_length: 0x24c, setup_data: 0x250,
      pref_address: 0x258, init_size: 0x260, handover_offset: 0x264, kernel_info_offset: 0x268,
    });
    expect(SETUP_HEADER_SIZE).toBe(123);
  });
});

const X86_64 = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
const X86_32 = fixtureKernel("x86_32-bzImage-6.1.0-50-686");

describe.skipIf(!X86_64)("BootParams for the real x86_64 kernel", () => {
  const kernel = readFixture(X86_64!);

  it("copies exactly 0x1f1 .. 0x202 + byte[0x201] from the kernel and zeroes the rest", () => {
    const page = BootParams.forKernel(kernel).toBytes();
    expect(page.length).toBe(BOOT_PARAMS_SIZE);
    const end = 0x202 + kernel[0x201]!;
    expect(end).toBe(0x26c);
    for (let i = 0; i < BOOT_PARAMS_SIZE; i++) {
      if (i === 0x210) expect(page[i]).toBe(0xff); // type_of_loader set by the builder
      else if (i >= 0x1f1 && i < end) expect(page[i], `byte 0x${i.toString(16)}`).toBe(kernel[i]);
      else if (page[i] !== 0) throw new Error(`byte 0x${i.toString(16)} is 0x${page[i]!.toString(16)}, expected 0`);
    }
    expect(page[0x1ef]).toBe(0); // sentinel must not be copied
  });

  it("round-trips loader fields, with high halves in ext_* above 4 GiB", () => {
    const bp = BootParams.forKernel(kernel)
      .setLoader(0xd, 2)
      .setCommandLine(0x1_2000_0000n, 100)
      .setRamdisk(0x1_3000_0000n, 0x1234_5678n)
      .setHeapEnd(0xde00)
      .setAcpiRsdp(0xf5a40n)
      .setSetupData(0x9_0000n)
      .setE820(MemoryMap.of([
        { start: 0n, size: 0x9fc00n, type: "ram" },
        { start: 0x9fc00n, size: 0x400n, type: "reserved" },
        { start: 0x100000n, size: 0x1_0000_0000n, type: "ram" },
        { start: 0xfeffc000n + 0x1_0000_0000n, size: 0x4000n, type: "acpi" },
      ]).ranges);
    const page = bp.toBytes();
    const v = new DataView(page.buffer);
    // Raw offsets from boot.rst / bootparam.h.
    expect(v.getUint8(0x210)).toBe(0xd2);
    expect(v.getUint32(0x228, true)).toBe(0x2000_0000);
    expect(v.getUint32(0x0c8, true)).toBe(1);
    expect(v.getUint32(0x218, true)).toBe(0x3000_0000);
    expect(v.getUint32(0x0c0, true)).toBe(1);
    expect(v.getUint32(0x21c, true)).toBe(0x1234_5678);
    expect(v.getUint16(0x224, true)).toBe(0xde00);
    expect(v.getUint8(0x211) & 0x80).toBe(0x80);
    expect(v.getBigUint64(0x070, true)).toBe(0xf5a40n);
    expect(v.getBigUint64(0x250, true)).toBe(0x9_0000n);
    expect(v.getUint8(0x1e8)).toBe(4);
    expect(v.getBigUint64(0x2d0 + 2 * 20, true)).toBe(0x100000n);
    expect(v.getBigUint64(0x2d0 + 2 * 20 + 8, true)).toBe(0x1_0000_0000n);
    expect(v.getUint32(0x2d0 + 3 * 20 + 16, true)).toBe(E820Type.ACPI);

    const d = BootParams.decode(page);
    expect(d.header.protocol).toBe("2.15");
    expect(d.cmdLinePtr).toBe(0x1_2000_0000n);
    expect(d.ramdiskImage).toBe(0x1_3000_0000n);
    expect(d.ramdiskSize).toBe(0x1234_5678n);
    expect(d.acpiRsdpAddr).toBe(0xf5a40n);
    expect(d.e820.map((e) => memoryTypeOfE820(e.type))).toEqual(["ram", "reserved", "ram", "acpi"]);
    expect(d.e820[1]).toEqual({ addr: 0x9fc00n, size: 0x400n, type: 2 });
    expect(d.header.fields.kernel_alignment).toBe(0x200000);
  });

  it("refuses a command line longer than cmdline_size (2047)", () => {
    const bp = BootParams.forKernel(kernel);
    expect(() => bp.setCommandLine(0x20000n, 2047)).not.toThrow();
    expect(() => bp.setCommandLine(0x20000n, 2048)).toThrow(ValidationError);
  });
});

describe.skipIf(!X86_32)("BootParams for the real x86_32 kernel", () => {
  const kernel = readFixture(X86_32!);
  it("refuses addresses above 4 GiB (no XLF_CAN_BE_LOADED_ABOVE_4G) and initrds above initrd_addr_max", () => {
    const bp = BootParams.forKernel(kernel);
    expect(() => bp.setRamdisk(0x1_0000_0000n, 0x1000n)).toThrow(/above 4 GiB/);
    expect(() => bp.setCommandLine(0xffff_fff0n, 100)).toThrow(/above 4 GiB/);
    expect(() => bp.setRamdisk(0x7fff_f000n, 0x2000n)).toThrow(/initrd_addr_max/);
    expect(() => bp.setRamdisk(0x7fff_e000n, 0x2000n)).not.toThrow();
    expect(BootParams.decode(bp.toBytes()).ramdiskImage).toBe(0x7fff_e000n);
  });
});

describe("BootParams protocol gating and hostile pages", () => {
  it("refuses fields newer than the kernel's protocol", () => {
    const old = synthBzImage({ version: 0x0201, jump: 0x26 }); // 2.01 header ends at 0x228
    const bp = BootParams.forKernel(old);
    expect(() => bp.setCommandLine(0x90000n, 10)).toThrow(/2\.02/);
    expect(() => bp.setHeaderField("pref_address", 1n)).toThrow(ValidationError);
    expect(() => bp.setHeapEnd(0x9600)).not.toThrow();
  });

  it("encodes extended loader ids as boot.rst's example (T = 0x15, V = 0x234)", () => {
    const page = BootParams.forKernel(synthBzImage()).setLoader(0x15, 0x234).toBytes();
    expect([page[0x210], page[0x227], page[0x226]]).toEqual([0xe4, 0x05, 0x23]);
    expect(() => BootParams.forKernel(synthBzImage()).setLoader(0xe)).toThrow(ValidationError);
  });

  it("refuses values wider than the field", () => {
    const bp = BootParams.forKernel(synthBzImage());
    expect(() => bp.setHeaderField("type_of_loader", 0x100)).toThrow(/8 bits/);
    expect(() => bp.setE820(Array.from({ length: 129 }, (_, i) => ({ addr: BigInt(i) << 20n, size: 0x1000n, type: 1 })))).toThrow(/128/);
  });

  it("decode rejects e820_entries > 128 and short pages with FormatError", () => {
    const page = BootParams.forKernel(synthBzImage()).toBytes();
    page[0x1e8] = 129;
    expect(() => BootParams.decode(page)).toThrow(FormatError);
    try {
      BootParams.decode(page);
    } catch (e) {
      expect((e as FormatError).field).toBe("e820_entries");
      expect((e as FormatError).offset).toBe(0x1e8);
    }
    expect(() => BootParams.decode(page.slice(0, 1024))).toThrow(FormatError);
  });
});
