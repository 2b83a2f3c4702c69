import { FormatError, type Image } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { BZIMAGE_FORMAT_ID, SETUP_HEADER_FIELDS, bzImageFormat, parseBzImage } from "../src/index.js";
import { fixtureKernel, readFixture, thrownBy } from "@handoff/test-support";
import { synthBzImage } from "./synth.js";

/** Raw little-endian reads at offsets written out from boot.rst, independent of the parser. */
function raw(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    u8: (o: number) => v.getUint8(o),
    u16: (o: number) => v.getUint16(o, true),
    u32: (o: number) => v.getUint32(o, true),
    u64: (o: number) => v.getBigUint64(o, true),
  };
}

function cstr(bytes: Uint8Array, at: number): string {
  const end = bytes.indexOf(0, at);
  return Buffer.from(bytes.subarray(at, end)).toString("latin1");
}

const X86_64 = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
const X86_32 = fixtureKernel("x86_32-bzImage-6.1.0-50-686");

describe.skipIf(!X86_64)("bzImage: real Debian 6.1 x86_64 kernel", () => {
  const bytes = readFixture(X86_64!);
  const r = raw(bytes);
  const input = { path: X86_64!, bytes };

  it("probes and parses as protocol 2.15, a 64-bit relocatable kernel", () => {
    expect(bzImageFormat.probe(input)).toBe(true);
    const image = bzImageFormat.parse(input);
    expect(image.format).toBe(BZIMAGE_FORMAT_ID);
    expect(image.arch).toBe("x86_64");
    expect(image.metadata.protocol).toBe("2.15");
    expect(image.metadata.protocolVersion).toBe(0x020f);
    expect(r.u16(0x206)).toBe(0x020f);
    expect(image.metadata.entry64).toBe(true);
    expect(image.metadata.xloadflagNames).toEqual(expect.arrayContaining(["XLF_KERNEL_64", "XLF_CAN_BE_LOADED_ABOVE_4G"]));
  });

  it("reports every header field at its documented offset", () => {
    const image = bzImageFormat.parse(input);
    const header = image.metadata.header as Record<string, number | bigint>;
    // Independent reads at boot.rst offsets.
    expect(header.setup_sects).toBe(r.u8(0x1f1));
    expect(header.syssize).toBe(r.u32(0x1f4));
    expect(header.boot_flag).toBe(0xaa55);
    expect(header.header).toBe(0x53726448);
    expect(header.loadflags).toBe(r.u8(0x211));
    expect(header.code32_start).toBe(r.u32(0x214));
    expect(header.initrd_addr_max).toBe(r.u32(0x22c));
    expect(header.kernel_alignment).toBe(r.u32(0x230));
    expect(header.relocatable_kernel).toBe(r.u8(0x234));
    expect(header.min_alignment).toBe(r.u8(0x235));
    expect(header.xloadflags).toBe(r.u16(0x236));
    expect(header.cmdline_size).toBe(r.u32(0x238));
    expect(header.payload_offset).toBe(r.u32(0x248));
    expect(header.payload_length).toBe(r.u32(0x24c));
    expect(header.pref_address).toBe(r.u64(0x258));
    expect(header.init_size).toBe(r.u32(0x260));
    expect(header.handover_offset).toBe(r.u32(0x264));
    expect(header.kernel_info_offset).toBe(r.u32(0x268));
    // Every field of the table is present for a 2.15 kernel.
    for (const f of SETUP_HEADER_FIELDS) expect(header[f.name], f.name).not.toBeUndefined();
    expect(image.metadata.cmdlineSize).toBe(2047);
    expect(header.kernel_alignment).toBe(0x200000);
  });

  it("reads the kernel version string at 0x200 + kernel_version", () => {
    const image = bzImageFormat.parse(input);
    const expected = cstr(bytes, 0x200 + r.u16(0x20e));
    expect(expected.startsWith("6.1.0-56-cloud-amd64 ")).toBe(true);
    expect(image.metadata.kernelVersion).toBe(expected);
  });

  it("splits the file into setup and protected-mode kernel, by reference", () => {
    const image: Image = bzImageFormat.parse(input);
    const setupSize = (r.u8(0x1f1) + 1) * 512;
    const [setup, kernel] = image.segments;
    expect(setup!.role).toBe("setup");
    expect(setup!.data).toEqual({ kind: "file", path: X86_64, offset: 0, length: setupSize });
    expect(kernel!.role).toBe("kernel");
    expect(kernel!.data).toEqual({ kind: "file", path: X86_64, offset: setupSize, length: bytes.length - setupSize });
    expect(kernel!.mem).toBe(r.u64(0x258)); // relocatable 64-bit: pref_address (0x1000000)
    expect(kernel!.mem).toBe(0x1000000n);
    const initSize = BigInt(r.u32(0x260));
    expect(kernel!.memsz).toBe(initSize > BigInt(bytes.length - setupSize) ? initSize : BigInt(bytes.length - setupSize));
    expect(image.entry.phys).toBe(0x1000000n + 0x200n);
  });

  it("finds kernel_info ('LToP') at kernel_info_offset from the protected-mode start", () => {
    const { info } = parseBzImage(input);
    const at = info.kernelOffset + r.u32(0x268);
    expect(Buffer.from(bytes.subarray(at, at + 4)).toString("latin1")).toBe("LToP");
    expect(info.kernelInfo?.size).toBe(r.u32(at + 4));
    expect(info.kernelInfo?.setupTypeMax).toBe(r.u32(at + 12));
  });
});

describe.skipIf(!X86_32)("bzImage: real Debian 6.1 x86_32 (686) kernel", () => {
  const bytes = readFixture(X86_32!);
  const r = raw(bytes);
  const input = { path: X86_32!, bytes };

  it("parses as protocol 2.15, a 32-bit kernel entered at code32_start", () => {
    const image = bzImageFormat.parse(input);
    expect(image.metadata.protocol).toBe("2.15");
    expect(image.arch).toBe("x86_32");
    expect(image.metadata.entry64).toBe(false);
    expect(image.entry.phys).toBe(BigInt(r.u32(0x214)));
    expect(image.entry.phys).toBe(0x100000n);
    const kernel = image.segments.find((s) => s.role === "kernel")!;
    expect(kernel.mem).toBe(0x100000n);
    expect((image.metadata.header as Record<string, unknown>).xloadflags).toBe(r.u16(0x236));
    expect(image.metadata.kernelVersion).toBe(cstr(bytes, 0x200 + r.u16(0x20e)));
    expect(String(image.metadata.kernelVersion)).toMatch(/^6\.1\.0-50-686 /);
  });
});

// ---- synthetic images for hostile input ----

const parseError = (bytes: Uint8Array): FormatError => thrownBy(FormatError, () => bzImageFormat.parse({ path: "hostile.bz", bytes }));

describe("bzImage: synthetic and hostile input", () => {
  it("accepts the synthetic baseline (so the hostile variants below fail for their one reason)", () => {
    const image = bzImageFormat.parse({ path: "ok.bz", bytes: synthBzImage() });
    expect(image.metadata.kernelVersion).toBe("6.9.9-synthetic");
    expect(image.segments[0]!.bufsz).toBe(5n * 512n);
    expect(image.segments[1]!.memsz).toBe(0x10000n);
  });

  it("setup_sects 0 means 4", () => {
    const image = bzImageFormat.parse({ path: "s0.bz", bytes: synthBzImage({ setupSects: 0 }) });
    expect(image.metadata.setupSects).toBe(4);
    expect(image.segments[0]!.bufsz).toBe(2560n);
  });

  it.each<[string, () => Uint8Array, string, number]>([
    ["truncated before boot_flag", () => synthBzImage().slice(0, 0x1f0), "boot_flag", 0x1fe],
    ["truncated inside the header", () => synthBzImage().slice(0, 0x230), "kernel_alignment", 0x230],
    ["bad boot_flag", () => { const b = synthBzImage(); b[0x1fe] = 0; return b; }, "boot_flag", 0x1fe],
    ["no HdrS", () => { const b = synthBzImage(); b[0x202] = 0x58; return b; }, "header", 0x202],
    ["protocol 1.x", () => synthBzImage({ version: 0x0105 }), "version", 0x206],
    ["header shorter than its version claims", () => synthBzImage({ jump: 0x60 }), "init_size", 0x260],
    ["negative jump displacement", () => synthBzImage({ jump: 0xf0 }), "jump", 0x201],
    ["zImage (LOADED_HIGH clear)", () => synthBzImage({ loadflags: 0 }), "loadflags", 0x211],
    ["setup_sects past EOF", () => { const b = synthBzImage({ kernelSize: 0x200 }); b[0x1f1] = 200; return b; }, "setup_sects", 0x1f1],
    ["syssize past EOF", () => synthBzImage({ syssize: 0x10000 }), "syssize", 0x1f4],
    ["kernel_version string unterminated", () => { const b = synthBzImage(); b.fill(0x41, 0x500, 5 * 512); return b; }, "kernel_version", 0x500],
    ["kernel_version past the setup", () => synthBzImage({ kernelVersionPtr: 0x7000 }), "kernel_version", 0x7200],
    ["payload beyond the file", () => synthBzImage({ payloadOffset: 0x1f00, payloadLength: 0x1000 }), "payload_length", 0x24c],
    ["payload offset beyond the file", () => synthBzImage({ payloadOffset: 0xffffff00 }), "payload_offset", 0x248],
    ["kernel_info past EOF", () => synthBzImage({ kernelInfoOffset: 0x7ffffff0 }), "kernel_info_offset", 0x268],
    ["kernel_info without LToP", () => { const b = synthBzImage(); b[5 * 512 + 0x800] = 0; return b; }, "kernel_info.header", 5 * 512 + 0x800],
    ["pref_address + init_size wraps 2^64", () => synthBzImage({ prefAddress: 0xffff_ffff_ffff_f000n }), "pref_address", 0x258],
  ])("%s -> FormatError on %s", (_label, make, field, offset) => {
    const e = parseError(make());
    expect(e.field).toBe(field);
    expect(Number(e.offset)).toBe(offset);
    expect(e.file).toBe("hostile.bz");
    expect(e.format).toBe("bzImage");
  });

  it("probe never throws, whatever the input", () => {
    const inputs = [new Uint8Array(0), new Uint8Array(0x203), synthBzImage().slice(0, 0x205), synthBzImage({ loadflags: 0 })];
    for (let i = 0; i < 200; i++) {
      const b = synthBzImage();
      const n = 1 + ((i * 7919) % 50);
      for (let k = 0; k < n; k++) b[(i * 104729 + k * 31) % 0x300]! ^= 0xff;
      inputs.push(b.slice(0, (i * 37) % b.length));
    }
    for (const bytes of inputs) {
      expect(() => bzImageFormat.probe({ path: "p", bytes })).not.toThrow();
      if (bzImageFormat.probe({ path: "p", bytes })) {
        try {
          bzImageFormat.parse({ path: "p", bytes });
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }
    }
  });
});
