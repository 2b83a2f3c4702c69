import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestSegments } from "@handoff/node";
import { FormatError, ValidationError, type Segment, type SegmentData } from "@handoff/core";
import { fixtureKernel, KERNELS, tempDir, writeRandomFile } from "@handoff/test-support";

const MiB = 1024 * 1024;

/** sha256sum (coreutils) of `length` bytes of `path` from `offset`, then `zeros` zero bytes: the independent oracle. */
type Part = { path: string; offset: number; length: number } | { zeros: number } | { text: string } | { format: string };
function sha256sumOf(parts: readonly Part[]): string {
  const script = parts
    .map((p) =>
      "zeros" in p
        ? `head -c ${p.zeros} /dev/zero`
        : "text" in p
          ? `printf '%s' '${p.text}'`
          : "format" in p
            ? `printf '${p.format}'`
            : `dd if='${p.path}' iflag=skip_bytes,count_bytes skip=${p.offset} count=${p.length} bs=1M status=none`,
    )
    .join("; ");
  const out = execFileSync("bash", ["-o", "pipefail", "-c", `{ ${script}; } | sha256sum`], { encoding: "utf8", maxBuffer: 1 << 20 });
  return out.split(" ")[0]!;
}

function fileSegment(path: string, offset: number, length: number, extra: Partial<Segment> = {}): Segment {
  const data: SegmentData = { kind: "file", path, offset, length };
  return { data, bufsz: BigInt(length), mem: 0x100000n, memsz: BigInt(length), role: "other", ...extra };
}

let dir: string;
let big: string;
beforeAll(() => {
  dir = tempDir("handoff-digest-");
  big = writeRandomFile(join(dir, "random-64m"), 64);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("digestSegments on the real kernels", () => {
  for (const [arch, name] of Object.entries(KERNELS)) {
    const path = fixtureKernel(name);
    it.skipIf(!path)(`${arch}: whole file and split ranges equal sha256sum of the extracted bytes`, async () => {
      const size = statSync(path!).size;
      // x86 bzImage: real-mode setup is (setup_sects + 1) * 512 bytes (boot.rst, setup_sects @0x1f1; 0 means 4).
      const head = readFileSync(path!).subarray(0, 0x200);
      const setupSects = arch.startsWith("x86") ? head[0x1f1] || 4 : 7;
      const split = (setupSects + 1) * 512;
      const segments = [
        fileSegment(path!, 0, size),
        fileSegment(path!, 0, split, { role: "setup" }),
        // The protected-mode part with a zero tail, the way kexec loads it into a larger memsz.
        fileSegment(path!, split, size - split, { role: "kernel", memsz: BigInt(size - split + 3 * 4096 + 123) }),
      ];
      const result = await digestSegments(segments, "sha256", { chunkSize: 64 * 1024 + 7 });
      expect(result.segments.map((s) => s.digest)).toEqual([
        sha256sumOf([{ path: path!, offset: 0, length: size }]),
        sha256sumOf([{ path: path!, offset: 0, length: split }]),
        sha256sumOf([{ path: path!, offset: split, length: size - split }, { zeros: 3 * 4096 + 123 }]),
      ]);
      expect(result.segments[2]!.hashedBytes).toBe(BigInt(size - split + 3 * 4096 + 123));
    });
  }
});

describe("digestSegments on a generated 64 MiB file", () => {
  it("whole file and unaligned ranges equal sha256sum, for several chunk sizes", async () => {
    const size = 64 * MiB;
    const ranges: [number, number][] = [
      [0, size],
      [12345, size - 12345 - 777],
      [size - 1, 1],
      [MiB - 1, 2 * MiB + 2],
    ];
    const expected = ranges.map(([o, l]) => sha256sumOf([{ path: big, offset: o, length: l }]));
    for (const chunkSize of [4096, 1024 * 1024 + 1, 8 * MiB]) {
      const result = await digestSegments(ranges.map(([o, l]) => fileSegment(big, o, l)), "sha256", { chunkSize });
      expect(result.segments.map((s) => s.digest), `chunk ${chunkSize}`).toEqual(expected);
    }
  });

  it("other node:crypto algorithms stream the same bytes (sha512 vs sha512sum)", async () => {
    const result = await digestSegments([fileSegment(big, 99, 5 * MiB)], "sha512");
    const oracle = execFileSync("bash", ["-o", "pipefail", "-c", `dd if='${big}' iflag=skip_bytes,count_bytes skip=99 count=${5 * MiB} bs=1M status=none | sha512sum`], { encoding: "utf8" }).split(" ")[0];
    expect(result.segments[0]!.digest).toBe(oracle);
  });
});

describe("digestSegments with files already in memory", () => {
  it("hashes a file segment from the caller's bytes (zero tail included), and other files from disk", async () => {
    const whole = readFileSync(big);
    const segments = [fileSegment(big, 12345, 3 * MiB + 1, { memsz: BigInt(3 * MiB + 1 + 5000) }), fileSegment(big, 0, 4096)];
    const fromDisk = await digestSegments(segments);
    const fromMemory = await digestSegments(segments, "sha256", { inMemory: new Map([[big, whole]]) });
    expect(fromMemory.segments.map((s) => s.digest)).toEqual(fromDisk.segments.map((s) => s.digest));
    expect(fromMemory.segments[0]!.digest).toBe(sha256sumOf([{ path: big, offset: 12345, length: 3 * MiB + 1 }, { zeros: 5000 }]));
    // The bytes in memory are what is hashed (not a fresh read): other bytes under the same path give their own digest.
    const other = Uint8Array.from(whole);
    other[12345] = other[12345]! ^ 0xff;
    const fromOther = await digestSegments(segments, "sha256", { inMemory: new Map([[big, other]]) });
    expect(fromOther.segments[0]!.digest).not.toBe(fromDisk.segments[0]!.digest);
    expect(fromOther.segments[1]!.digest).toBe(fromDisk.segments[1]!.digest);
    // A path not in the map is still read from disk.
    const elsewhere = await digestSegments(segments, "sha256", { inMemory: new Map([[join(dir, "not-this"), other]]) });
    expect(elsewhere.segments.map((s) => s.digest)).toEqual(fromDisk.segments.map((s) => s.digest));
  });

  it("a range past the end of the bytes in memory is a FormatError naming file, field and offset", async () => {
    const err = await digestSegments([fileSegment(big, 100, 4096)], "sha256", { inMemory: new Map([[big, new Uint8Array(4000)]]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(big);
    expect((err as FormatError).field).toBe("length");
    expect((err as FormatError).offset).toBe(100);
  });
});

describe("purgatory digest", () => {
  it("is one hash over every non-purgatory segment's memsz bytes, in order, with {mem, memsz} regions", async () => {
    const cmdline = new TextEncoder().encode("console=ttyS0 quiet");
    const segments: Segment[] = [
      { data: { kind: "bytes", bytes: cmdline }, bufsz: BigInt(cmdline.length), mem: 0x9000n, memsz: 0x1000n, role: "cmdline" },
      fileSegment(big, 4096, 3 * MiB, { mem: 0x1000000n, memsz: BigInt(3 * MiB + 8192), role: "kernel" }),
      { data: { kind: "bytes", bytes: new Uint8Array([1, 2, 3]) }, bufsz: 3n, mem: 0x8000n, memsz: 0x1000n, role: "purgatory" },
      { data: { kind: "zero" }, bufsz: 0n, mem: 0x2000000n, memsz: 0x5000n, role: "other" },
    ];
    const result = await digestSegments(segments, "sha256", { purgatory: true });
    expect(result.purgatory!.digest).toBe(
      sha256sumOf([
        { text: "console=ttyS0 quiet" },
        { zeros: 0x1000 - cmdline.length },
        { path: big, offset: 4096, length: 3 * MiB },
        { zeros: 8192 },
        { zeros: 0x5000 },
      ]),
    );
    expect(result.purgatory!.regions).toEqual([
      { start: 0x9000n, len: 0x1000n },
      { start: 0x1000000n, len: BigInt(3 * MiB + 8192) },
      { start: 0x2000000n, len: 0x5000n },
    ]);
    // The purgatory segment still gets its own digest; a zero segment hashes memsz zeros.
    expect(result.segments[2]!.digest).toBe(sha256sumOf([{ format: "\\001\\002\\003" }, { zeros: 0x1000 - 3 }]));
    expect(result.segments[3]!.digest).toBe(sha256sumOf([{ zeros: 0x5000 }]));
    expect(result.segments[0]!.digest).toBe(sha256sumOf([{ text: "console=ttyS0 quiet" }, { zeros: 0x1000 - cmdline.length }]));
    // Without the option no second pass is made.
    expect((await digestSegments(segments)).purgatory).toBeUndefined();
  });
});

describe("digestSegments refuses bad input before hashing", () => {
  it("a file range past the end of the file is a FormatError naming file, field and offset", async () => {
    const err = await digestSegments([fileSegment(big, 64 * MiB - 10, 11)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(big);
    expect((err as FormatError).field).toBe("length");
    expect((err as FormatError).offset).toBe(64 * MiB - 10);
  });
  it("a missing file is a FormatError", async () => {
    await expect(digestSegments([fileSegment(join(dir, "nope"), 0, 1)])).rejects.toBeInstanceOf(FormatError);
  });
  it("bufsz that disagrees with the data, bufsz > memsz, bad ranges, unknown algorithms are ValidationErrors", async () => {
    await expect(digestSegments([fileSegment(big, 0, 10, { bufsz: 11n, memsz: 11n })])).rejects.toBeInstanceOf(ValidationError);
    await expect(digestSegments([fileSegment(big, 0, 10, { memsz: 9n })])).rejects.toBeInstanceOf(ValidationError);
    await expect(digestSegments([fileSegment(big, -1, 10)])).rejects.toBeInstanceOf(ValidationError);
    await expect(digestSegments([fileSegment(big, 0, 10)], "sha257")).rejects.toThrow(/unknown hash algorithm 'sha257'/);
    await expect(digestSegments([fileSegment(big, 0, 10)], "sha256", { chunkSize: 100 })).rejects.toBeInstanceOf(ValidationError);
  });
});

// Peak memory of a streamed 512 MiB digest is measured by `npm run bench` (peak RSS against
// kexec-tools and against a readFile control, same run): unit tests carry no RSS thresholds.
