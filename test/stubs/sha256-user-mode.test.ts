import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, requireTool, run, tempDir } from "@handoff/test-support";

/**
 * The hand-off stubs' own SHA-256 (the .S includes the stubs assemble, not a
 * copy), linked into a Linux user-mode harness per instruction set and run
 * under qemu-user: FIPS 180-4 example vectors, padding boundaries, and
 * seeded random inputs compared with node:crypto. The x86 routine serves both
 * x86 stubs (each runs the check in 32-bit mode).
 */
const HARNESSES = [
  { isa: "x86 (32-bit)", prefix: "i686-linux-gnu-", asflags: ["--32"], ldflags: ["-m", "elf_i386"], qemu: "qemu-i386", dir: "packages/x86", include: "packages/x86/src/stub" },
  { isa: "arm64", prefix: "aarch64-linux-gnu-", asflags: [], ldflags: [], qemu: "qemu-aarch64", dir: "packages/arm64", include: "packages/arm64/src/stub" },
  { isa: "arm32", prefix: "arm-linux-gnueabihf-", asflags: ["-march=armv7ve"], ldflags: [], qemu: "qemu-arm", dir: "packages/arm32", include: "packages/arm32/src/stub" },
] as const;

/** FIPS 180-4 / NIST CSRC example values for SHA-256 (one block, two blocks, one million 'a'). */
const FIPS_VECTORS: readonly [string, Uint8Array, string][] = [
  ["abc", new TextEncoder().encode("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ["448-bit message", new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
  ["one million 'a'", new Uint8Array(1_000_000).fill(0x61), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"],
  ["empty", new Uint8Array(0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
];

const work = tempDir("handoff-sha-harness-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the stubs' SHA-256 routine, run in QEMU user mode", () => {
  for (const h of HARNESSES) {
    const ready = requireTool(h.qemu) && requireTool(`${h.prefix}as`) && requireTool(`${h.prefix}ld`);
    it.skipIf(!ready)(`${h.isa}: FIPS 180-4 vectors, every padding boundary and seeded random inputs equal node:crypto`, () => {
      const obj = join(work, `${h.prefix}harness.o`);
      const exe = join(work, `${h.prefix}harness`);
      const includes = ["-I", join(REPO_ROOT, h.include), "-I", join(REPO_ROOT, "packages/core/src/link")];
      run(`${h.prefix}as`, [...h.asflags, ...includes, "-o", obj, join(REPO_ROOT, h.dir, "test/fixtures/sha256-harness.S")]);
      // -N: text writable, as the stub's own scratch is; the RWX warning is expected.
      run(`${h.prefix}ld`, [...h.ldflags, "-N", "-static", "--no-warn-rwx-segments", "-o", exe, obj]);
      const hash = (input: Uint8Array): string => {
        const r = spawnSync(h.qemu, [exe], { input, maxBuffer: 1 << 20 });
        expect(r.status, r.stderr?.toString()).toBe(0);
        return Buffer.from(r.stdout).toString("hex");
      };
      for (const [name, input, digest] of FIPS_VECTORS) expect(hash(input), name).toBe(digest);
      // Lengths around the block and the 56-byte length-field boundary, where padding spills into a second block.
      for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 4095, 4096, 4097]) {
        const input = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
        expect(hash(input), `length ${n}`).toBe(createHash("sha256").update(input).digest("hex"));
      }
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), (input) => hash(input) === createHash("sha256").update(input).digest("hex")),
        { numRuns: 25 },
      );
    }, 120_000);
  }
});
