import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ELF_IMAGE_FORMAT } from "@handoff/core/elf";
import { FormatError, crc32, openImage, parsePe, type ImageFormat } from "@handoff/core";
import { arm64Architecture, arm64ImageFormat } from "@handoff/arm64";
import { x86_64Architecture } from "@handoff/x86_64";
import { bzImageFormat } from "@handoff/x86";
import { KERNELS, fixtureKernel, requireTool, run, tempDir, thrownBy } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";
import { COMPRESSORS, bytesOf, compressedCopy, sha256 } from "@handoff/test-support/compressed-images";

/**
 * Containers made by the real tools: uImage and FIT by mkimage (u-boot-tools),
 * a UKI by objcopy around systemd's EFI stub (systemd-boot-efi), and an EFI
 * zboot image (no Debian tool writes one: built here from its header layout,
 * drivers/firmware/efi/libstub/zboot-header.S, around a payload gzip wrote).
 * Each opens to the kernel inside; each damaged one is a FormatError naming
 * file, field and offset.
 */

const FORMATS: readonly ImageFormat[] = [ELF_IMAGE_FORMAT, bzImageFormat, arm64ImageFormat];
const work = tempDir("handoff-containers-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const refusal = (f: () => unknown): FormatError => thrownBy(FormatError, f);

/** The installed architectures the containers' raw machine fields (ih_arch, FIT arch) resolve through. */
const ARCHITECTURES = [x86_64Architecture, arm64Architecture];

function open(path: string, architectures: typeof ARCHITECTURES = ARCHITECTURES) {
  return openImage({ path, bytes: bytesOf(path) }, FORMATS, { architectures });
}

/** The arm64 fixture and its gzip copy (from the compressed-kernel cache). */
function arm64Kernel(): { image: string; gz: string } | undefined {
  const image = fixtureKernel(KERNELS.arm64);
  if (!image || !requireTool("gzip")) return undefined;
  return { image, gz: compressedCopy(image, COMPRESSORS.find((c) => c.codec === "gzip")!) };
}

describe("U-Boot legacy uImage (mkimage)", () => {
  it("gzip-compressed arm64 kernel: both CRCs checked, inflated, parsed as the Image", () => {
    const k = arm64Kernel();
    if (!k || !requireTool("mkimage")) return;
    const out = join(work, "uImage");
    run("mkimage", ["-A", "arm64", "-O", "linux", "-T", "kernel", "-C", "gzip", "-a", "0x40080000", "-e", "0x40080000", "-n", "handoff test", "-d", k.gz, out]);
    const opened = open(out);
    const plain = open(k.image);
    expect(opened.format.id).toBe("arm64-Image");
    expect(opened.image.segments.map((s) => [s.mem, s.memsz, s.bufsz])).toEqual(plain.image.segments.map((s) => [s.mem, s.memsz, s.bufsz]));
    expect(opened.unwrapped.layers.map((l) => [l.kind, l.codec])).toEqual([["uImage", "gzip"]]);
    const u = opened.unwrapped.layers[0];
    expect(u!.fields).toMatchObject({ ih_name: "handoff test", ih_load: 0x40080000n, ih_ep: 0x40080000n, ih_arch: 22, arch: "arm64", ih_type: "kernel", ih_comp: "gzip" });
    expect(u!.machine).toEqual({ scheme: "uImage", value: 22 });
    // Core reads ih_arch raw; the name is the arm64 plugin's declaration, so without it there is none.
    expect(open(out, [x86_64Architecture]).unwrapped.layers[0]!.fields).toMatchObject({ ih_arch: 22, arch: null });

    const bytes = bytesOf(out).slice();
    // a header byte changed (the name): ih_hcrc
    bytes[40]! ^= 1;
    const h = refusal(() => openImage({ path: out, bytes }, FORMATS));
    expect([h.file, h.format, h.field, Number(h.offset)]).toEqual([out, "uImage", "ih_hcrc", 4]);
    bytes[40]! ^= 1;
    // a data byte changed: ih_dcrc
    bytes[64 + 1000]! ^= 1;
    const d = refusal(() => openImage({ path: out, bytes }, FORMATS));
    expect([d.field, Number(d.offset)]).toEqual(["ih_dcrc", 24]);
    bytes[64 + 1000]! ^= 1;
    // ih_size lying (header CRC fixed up so the size itself is what is wrong)
    const v = new DataView(bytes.buffer);
    v.setUint32(12, bytes.length, false);
    v.setUint32(4, 0, false);
    v.setUint32(4, crc32(bytes.subarray(0, 64)), false);
    const s = refusal(() => openImage({ path: out, bytes }, FORMATS));
    expect(s.field).toBe("ih_size");
    // cut short
    const t = refusal(() => openImage({ path: out, bytes: bytesOf(out).subarray(0, 1000) }, FORMATS));
    expect(t.field).toBe("ih_size");
  }, 300_000);
});

describe("FIT (mkimage -f)", () => {
  it("default configuration: kernel (gzip, sha256 + crc32), ramdisk and fdt, hashes checked", () => {
    const k = arm64Kernel();
    if (!k || !requireTool("mkimage") || !requireTool("dtc")) return;
    const dts = join(work, "board.dts");
    writeFileSync(dts, '/dts-v1/;\n/ { model = "handoff-fit-test"; #address-cells = <2>; #size-cells = <2>; memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x20000000>; }; };\n');
    const dtb = join(work, "board.dtb");
    run("dtc", ["-I", "dts", "-O", "dtb", "-o", dtb, dts]);
    const ramdisk = join(work, "ramdisk.cpio");
    writeFileSync(ramdisk, new TextEncoder().encode("070701 a ramdisk that is only bytes".repeat(100)));
    const its = join(work, "image.its");
    writeFileSync(
      its,
      `/dts-v1/;
/ {
  description = "handoff FIT test";
  #address-cells = <1>;
  images {
    kernel-1 { description = "Linux"; data = /incbin/("${k.gz}"); type = "kernel"; arch = "arm64"; os = "linux"; compression = "gzip"; load = <0x40080000>; entry = <0x40080000>;
      hash-1 { algo = "sha256"; }; hash-2 { algo = "crc32"; }; };
    ramdisk-1 { data = /incbin/("${ramdisk}"); type = "ramdisk"; arch = "arm64"; os = "linux"; compression = "none"; hash-1 { algo = "sha1"; }; };
    fdt-1 { data = /incbin/("${dtb}"); type = "flat_dt"; arch = "arm64"; compression = "none"; hash-1 { algo = "md5"; }; };
  };
  configurations {
    default = "conf-1";
    conf-0 { kernel = "ramdisk-1"; };
    conf-1 { description = "boot"; kernel = "kernel-1"; ramdisk = "ramdisk-1"; fdt = "fdt-1"; };
  };
};
`,
    );
    const itb = join(work, "image.itb");
    run("mkimage", ["-f", its, itb]);
    const opened = open(itb);
    expect(opened.format.id).toBe("arm64-Image");
    expect(opened.unwrapped.layers[0]!.kind).toBe("FIT");
    expect(opened.unwrapped.layers[0]!.fields).toMatchObject({ configuration: "conf-1", arch: "arm64", kernel: { image: "kernel-1", arch: "arm64", compression: "gzip", hashes: "sha256, crc32", load: 0x40080000n } });
    expect(opened.unwrapped.layers[0]!.machine).toEqual({ scheme: "fit", value: "arm64" });
    expect(sha256(opened.unwrapped.initrd!)).toBe(sha256(bytesOf(ramdisk)));
    expect(sha256(opened.unwrapped.dtb!)).toBe(sha256(bytesOf(dtb)));
    expect(sha256(opened.unwrapped.input.bytes)).toBe(sha256(bytesOf(k.image)));

    // one bit of the kernel's stored data changed: its sha256 no longer matches
    const bytes = bytesOf(itb).slice();
    const gz = bytesOf(k.gz);
    const at = Buffer.from(bytes).indexOf(Buffer.from(gz.subarray(0, 64)));
    expect(at).toBeGreaterThan(0);
    bytes[at + 5000]! ^= 0x10;
    const e = refusal(() => openImage({ path: itb, bytes }, FORMATS));
    expect([e.file, e.format, e.field]).toEqual([itb, "FIT", "/images/kernel-1/hash-1/value"]);
    expect(e.offset).toBeTypeOf("number");
  }, 300_000);
});

describe("UKI (objcopy around systemd's EFI stub)", () => {
  it("splits into kernel, initrd, cmdline and os-release", () => {
    const stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
    const kernel = fixtureKernel(KERNELS.x86_64);
    if (!kernel || !requireTool("objcopy")) return;
    if (!existsSync(stub)) {
      if (process.env.CI === "true") throw new Error(`${stub} is missing (Debian systemd-boot-efi, see .ci/debian-packages)`);
      console.warn(`\n*** SKIPPING the UKI test: ${stub} not found (apt-get install systemd-boot-efi) ***\n`);
      return;
    }
    const osrel = join(work, "os-release");
    writeFileSync(osrel, 'NAME="Handoff Linux"\nPRETTY_NAME="Handoff Linux test"\n');
    const cmdline = join(work, "cmdline");
    writeFileSync(cmdline, "console=ttyS0 handoff.marker=uki\n");
    const initrd = join(work, "initrd.img");
    writeFileSync(initrd, new Uint8Array(8192).fill(0x5a));
    const uki = join(work, "linux.efi");
    run("objcopy", [
      "--add-section", `.osrel=${osrel}`, "--change-section-vma", ".osrel=0x20000",
      "--add-section", `.cmdline=${cmdline}`, "--change-section-vma", ".cmdline=0x30000",
      "--add-section", `.linux=${kernel}`, "--change-section-vma", ".linux=0x2000000",
      "--add-section", `.initrd=${initrd}`, "--change-section-vma", ".initrd=0x3000000",
      stub, uki,
    ]);
    const opened = open(uki);
    expect(opened.format.id).toBe("bzImage");
    expect(opened.unwrapped.layers.map((l) => l.kind)).toEqual(["uki"]);
    expect(sha256(opened.unwrapped.input.bytes)).toBe(sha256(bytesOf(kernel)));
    expect(sha256(opened.unwrapped.initrd!)).toBe(sha256(bytesOf(initrd)));
    expect(opened.unwrapped.cmdline).toBe("console=ttyS0 handoff.marker=uki");
    expect(opened.unwrapped.layers[0]!.fields).toMatchObject({ os_release: "Handoff Linux test" });
    const inspected = runCli(["inspect", uki, "--json"], { timeout: 120_000 });
    expect(inspected.stderr).toBe("");
    expect(JSON.parse(inspected.stdout)).toMatchObject({ format: "bzImage", metadata: { container: [{ kind: "uki", cmdline: "console=ttyS0 handoff.marker=uki" }] } });
    // cut short: the section table says where .initrd ends
    const whole = bytesOf(uki);
    const cut = refusal(() => openImage({ path: uki, bytes: whole.subarray(0, parsePe(whole, uki).rawEnd - 1) }, FORMATS));
    expect([cut.format, cut.field]).toEqual(["UKI", "section table"]);
  }, 300_000);
});

describe("EFI zboot", () => {
  /** A zboot image: the header zboot-header.S lays out, a minimal PE, and a payload the real gzip wrote plus size_append's trailer. */
  function zboot(payload: Uint8Array, inflatedSize: number, type = "gzip"): Uint8Array {
    const PAYLOAD_AT = 0x200;
    const b = new Uint8Array(PAYLOAD_AT + payload.length + 4);
    const v = new DataView(b.buffer);
    b.set([0x4d, 0x5a]); // MZ
    b.set(new TextEncoder().encode("zimg"), 4);
    v.setUint32(8, PAYLOAD_AT, true);
    v.setUint32(12, payload.length, true);
    b.set(new TextEncoder().encode(`${type}\0`), 24);
    v.setUint32(0x38, 0x818223cd, true); // LINUX_PE_MAGIC
    v.setUint32(0x3c, 0x40, true); // e_lfanew
    v.setUint32(0x40, 0x4550, true); // PE\0\0
    v.setUint16(0x44, 0xaa64, true); // Machine: arm64
    v.setUint16(0x46, 1, true); // one section
    v.setUint16(0x54, 0, true); // no optional header
    const sec = 0x58;
    b.set(new TextEncoder().encode(".data"), sec);
    v.setUint32(sec + 8, payload.length + 4, true);
    v.setUint32(sec + 12, 0x1000, true);
    v.setUint32(sec + 16, payload.length + 4, true);
    v.setUint32(sec + 20, PAYLOAD_AT, true);
    b.set(payload, PAYLOAD_AT);
    v.setUint32(PAYLOAD_AT + payload.length, inflatedSize, true);
    return b;
  }

  it("the payload inflates to the arm64 Image; a lying size or payload field is refused", () => {
    const k = arm64Kernel();
    if (!k) return;
    const gz = bytesOf(k.gz);
    const size = bytesOf(k.image).length;
    const path = join(work, "vmlinuz.efi");
    const img = zboot(gz, size);
    writeFileSync(path, img);
    const opened = open(path);
    expect(opened.format.id).toBe("arm64-Image");
    expect(opened.unwrapped.layers.map((l) => [l.kind, l.codec])).toEqual([["zboot", "gzip"]]);
    expect(sha256(opened.unwrapped.input.bytes)).toBe(sha256(bytesOf(k.image)));

    const lying = refusal(() => openImage({ path, bytes: zboot(gz, size + 1) }, FORMATS));
    expect([lying.field, Number(lying.offset)]).toEqual(["size trailer", 0x200 + gz.length]);
    const big = img.slice();
    new DataView(big.buffer).setUint32(12, img.length, true);
    const past = refusal(() => openImage({ path, bytes: big }, FORMATS));
    expect([past.format, past.field]).toEqual(["EFI zboot", "payload_offset + payload_size"]);
    const lzo = refusal(() => openImage({ path, bytes: zboot(gz, size, "lzo") }, FORMATS));
    expect([lzo.field, Number(lzo.offset)]).toEqual(["compression_type", 24]);
    const truncated = refusal(() => openImage({ path, bytes: zboot(gz.subarray(0, gz.length >> 1), size) }, FORMATS));
    expect(truncated.format).toBe("gzip stream");
  }, 300_000);
});

describe("Xen images and multiboot headers", () => {
  const XEN = join(fixtureKernel(KERNELS.arm64) ?? "/nonexistent", "../../xen");
  it("xen-amd64 is an ELF with Multiboot1 and Multiboot2 headers (flags, requested tags)", () => {
    const path = join(XEN, "xen-amd64");
    if (!existsSync(path)) return;
    const r = runCli(["inspect", path, "--json"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as { format: string; metadata: { multiboot: { v1: { flags: number; flagNames: string[] }; v2: { architecture: number; tags: { name: string }[] } } } };
    expect(j.format).toBe("ELF32");
    // read independently: the v1 header is the first 0x1BADB002 at a 4-byte boundary in the first 8 KiB
    const bytes = bytesOf(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let at = 0;
    while (view.getUint32(at, true) !== 0x1badb002) at += 4;
    expect(j.metadata.multiboot.v1.flags).toBe(view.getUint32(at + 4, true));
    expect(j.metadata.multiboot.v2.architecture).toBe(0);
    expect(j.metadata.multiboot.v2.tags.at(-1)!.name).toBe("end");
    expect(j.metadata.multiboot.v2.tags.map((t) => t.name)).toContain("information request");
  });

  it("xen-arm64 inspects as an arm64 Image and xen-armhf as a zImage whose end includes BSS", () => {
    for (const [file, format] of [["xen-arm64", "arm64-Image"], ["xen-armhf", "zImage"]] as const) {
      const path = join(XEN, file);
      if (!existsSync(path)) continue;
      const r = runCli(["inspect", path, "--json"]);
      expect(r.stderr, file).toBe("");
      const j = JSON.parse(r.stdout) as { format: string; segments: { memsz: string; bufsz: string }[] };
      expect(j.format).toBe(format);
      expect(BigInt(j.segments[0]!.memsz)).toBeGreaterThanOrEqual(BigInt(j.segments[0]!.bufsz));
    }
  });
});

