import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DEFAULT_CODECS, openImage, segmentBufferLength, type Image, type ImageFormat, type Segment } from "@handoff/core";
import { XEN_ELF_IMAGE_FORMAT } from "@handoff/xen";
import { arm64ImageFormat } from "@handoff/arm64";
import { zImageFormat } from "@handoff/arm32";
import { bzImageFormat, extractBzImagePayload } from "@handoff/x86";
import { KERNELS, fixtureKernel, requireTool } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";
import { COMPRESSORS, bytesOf, compressedCopy, sha256 } from "@handoff/test-support/compressed-images";

/**
 * Issue 18, with real data made by real tools: every fixture kernel compressed
 * by gzip, xz, lzma, zstd, lz4 -l and bzip2 opens to the same image as the
 * uncompressed file (same segments, same bytes); `handoff inspect` and
 * `handoff plan` say the same for Image.gz and Image.zst as for Image; and the
 * vmlinux inside each x86 bzImage is what the codec's own tool makes of it.
 */

const FORMATS: readonly ImageFormat[] = [XEN_ELF_IMAGE_FORMAT, bzImageFormat, arm64ImageFormat, zImageFormat];

function segmentBytes(s: Segment): Uint8Array {
  if (s.data.kind === "bytes") return s.data.bytes;
  if (s.data.kind === "zero") return new Uint8Array(0);
  return bytesOf(s.data.path).subarray(s.data.offset, s.data.offset + s.data.length);
}

function shape(image: Image) {
  return {
    format: image.format,
    arch: image.arch,
    entry: image.entry,
    placement: image.placement,
    segments: image.segments.map((s) => ({ name: s.name, role: s.role, mem: s.mem, memsz: s.memsz, bufsz: s.bufsz, length: segmentBufferLength(s), sha256: sha256(segmentBytes(s)) })),
  };
}

/**
 * The fast tools (gzip, zstd, lz4) on every kernel; the slow ones (xz, lzma,
 * bzip2: minutes on the 27 MiB arm64 Image on a shared 2-core machine) on the
 * two smaller kernels. Compressed copies are cached in .cache/.
 */
const SLOW = new Set(["xz", "lzma", "bzip2"]);
const SMALL_KERNELS = new Set<string>(["x86_32", "arm32"]);

describe("every fixture kernel, compressed by the Debian tools, opens to the same image", () => {
  for (const arch of Object.keys(KERNELS) as (keyof typeof KERNELS)[]) {
    for (const c of COMPRESSORS.filter((x) => !SLOW.has(x.codec) || SMALL_KERNELS.has(arch))) {
      it(`${arch} ${KERNELS[arch]}.${c.ext}`, () => {
        const kernel = fixtureKernel(KERNELS[arch]);
        if (!kernel || !requireTool(c.tool)) return;
        const plain = openImage({ path: kernel, bytes: bytesOf(kernel) }, FORMATS);
        const packedPath = compressedCopy(kernel, c);
        const packed = openImage({ path: packedPath, bytes: bytesOf(packedPath) }, FORMATS);
        expect(packed.unwrapped.layers.map((l) => [l.kind, l.codec])).toEqual([["compressed", c.codec]]);
        expect(packed.format.id).toBe(plain.format.id);
        expect(shape(packed.image)).toEqual(shape(plain.image));
        expect(packed.image.metadata.container).toEqual([expect.objectContaining({ kind: "compressed", codec: c.codec, innerSize: bytesOf(kernel).length })]);
      }, 240_000);
    }
  }
});

describe("handoff inspect and plan read Image.gz and Image.zst as they read Image", () => {
  for (const ext of ["gz", "zst"] as const) {
    it(`arm64 Image.${ext}: same inspect segments and the same plan`, () => {
      const kernel = fixtureKernel(KERNELS.arm64);
      const c = COMPRESSORS.find((x) => x.ext === ext)!;
      if (!kernel || !requireTool(c.tool)) return;
      const packed = compressedCopy(kernel, c);
      const inspect = (f: string) => {
        const r = runCli(["inspect", f, "--json"], { timeout: 180_000 });
        expect(r.stderr).toBe("");
        return JSON.parse(r.stdout) as { format: string; entry: unknown; segments: { name: string; role: string; mem: string; memsz: string; bufsz: string }[]; metadata: { container?: { kind: string; codec: string }[] } };
      };
      const a = inspect(kernel);
      const b = inspect(packed);
      expect(b.format).toBe(a.format);
      expect(b.entry).toEqual(a.entry);
      const seg = (j: typeof a) => j.segments.map((s) => [s.name, s.role, s.mem, s.memsz, s.bufsz]);
      expect(seg(b)).toEqual(seg(a));
      expect(b.metadata.container?.map((l) => [l.kind, l.codec])).toEqual([["compressed", c.codec]]);
      const plan = (f: string) => {
        const r = runCli(["plan", "--arch", "arm64", "--kernel", f, "--cmdline", "console=ttyAMA0", "--json"], { timeout: 180_000 });
        expect(r.stderr).toBe("");
        return JSON.parse(r.stdout) as { entry: string; segments: { mem: string; memsz: string; bufsz: string; role: string; name: string }[]; relocation: unknown; pageTables: unknown };
      };
      const pa = plan(kernel);
      const pb = plan(packed);
      expect(pb.entry).toBe(pa.entry);
      expect(pb.segments.map((s) => [s.name, s.role, s.mem, s.memsz, s.bufsz])).toEqual(pa.segments.map((s) => [s.name, s.role, s.mem, s.memsz, s.bufsz]));
      expect(pb.relocation).toEqual(pa.relocation);
    }, 400_000);
  }
});

describe("the vmlinux inside each x86 bzImage equals what the codec's own tool makes of the payload", () => {
  const TOOL_FOR: Record<string, [string, string[]]> = {
    lz4: ["lz4", ["-dc"]],
    xz: ["xz", ["-dc", "--single-stream"]],
    gzip: ["gzip", ["-dc"]],
    zstd: ["zstd", ["-dcq"]],
    lzma: ["lzma", ["-dc"]],
    bzip2: ["bzip2", ["-dc"]],
  };
  for (const name of [KERNELS.x86_64, KERNELS.x86_32, "x86_32-bzImage-6.1.0-57-686-pae"]) {
    it(name, () => {
      const kernel = fixtureKernel(name);
      if (!kernel) return;
      const input = { path: kernel, bytes: bytesOf(kernel) };
      const { vmlinux, codec, payload } = extractBzImagePayload(input);
      const [tool, args] = TOOL_FOR[codec]!;
      if (!requireTool(tool)) return;
      // the payload without Linux's 4-byte size trailer, fed to the tool
      const stream = input.bytes.subarray(payload.offset, payload.offset + payload.length - 4);
      const r = spawnSync(tool, args, { input: stream, maxBuffer: 1 << 30 });
      expect(r.status, String(r.stderr)).toBe(0);
      expect(vmlinux.bytes.length).toBe(r.stdout.length);
      expect(sha256(vmlinux.bytes)).toBe(sha256(new Uint8Array(r.stdout)));
      // and it is the ELF a PVH loader needs: PT_LOADs, and the entry from XEN_ELFNOTE_PHYS32_ENTRY where the kernel has one
      const r2 = runCli(["inspect", `${kernel}#payload`, "--json"], { timeout: 180_000 });
      expect(r2.stderr).toBe("");
      const j = JSON.parse(r2.stdout) as { format: string; arch: string; entry: { phys: string }; segments: { name: string }[]; metadata: { entrySource: string; xen?: Record<string, string> } };
      expect(j.format).toMatch(/^ELF(32|64) \(bzImage payload\)$/);
      expect(j.segments.length).toBeGreaterThan(0);
      expect(j.segments.every((s) => s.name.startsWith("PT_LOAD"))).toBe(true);
      if (j.metadata.xen?.PHYS32_ENTRY !== undefined) {
        expect(j.metadata.entrySource).toBe("xen-phys32-entry");
        expect(j.entry.phys).toBe(j.metadata.xen.PHYS32_ENTRY);
      }
    }, 400_000);
  }

  it("the x86_64 cloud kernel's payload is LZ4 with a PVH entry (CONFIG_PVH)", () => {
    const kernel = fixtureKernel(KERNELS.x86_64);
    if (!kernel) return;
    const { codec, vmlinux } = extractBzImagePayload({ path: kernel, bytes: bytesOf(kernel) });
    expect(codec).toBe("lz4");
    const elf = XEN_ELF_IMAGE_FORMAT.parse(vmlinux);
    expect(elf.metadata.entrySource).toBe("xen-phys32-entry");
    expect(DEFAULT_CODECS.map((c) => c.id)).toContain(codec);
  });
});
