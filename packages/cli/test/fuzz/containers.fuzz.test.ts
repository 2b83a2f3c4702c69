/**
 * The fuzz harness over the readers issue 18 added: every codec (streams made
 * by the Debian tools), the container unwrapper (uImage by mkimage, an EFI
 * zboot and a PE), the PE/COFF reader and the multiboot header finder. Same
 * rules as image-formats.fuzz.test.ts: only HandoffErrors, no slow input, no
 * hang; inflating is capped at 8 MiB so a mutated header cannot make a bomb.
 * The Node edge's native decoders (zlib, libzstd, lzma-rust2) get the same inputs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import { findMultibootHeaders, inflate, parsePe, unwrapImage } from "@handoff/core";
import { nodeCodecs } from "@handoff/node";
import { requireTool, kernelFixturesDir, tempDir } from "@handoff/test-support";
import { describeFuzzTargets, fuzzBudget, fuzzWatchdog, type FuzzTarget, type Seed } from "./harness.js";

const budget = fuzzBudget(1000);
const watchdog = fuzzWatchdog();
const work = tempDir("handoff-fuzz-containers-");
afterAll(() => {
  watchdog.stop();
  rmSync(work, { recursive: true, force: true });
});

const CAP = 8 << 20;

function seeds(): Seed[] {
  const out: Seed[] = [];
  const kernels = kernelFixturesDir();
  // 256 KiB of a real kernel: code and data, not zeros.
  const plain = kernels ? new Uint8Array(readFileSync(join(kernels, "arm64-Image-6.1.0-50-cloud-arm64")).subarray(0, 256 << 10)) : new Uint8Array(256 << 10).map((_, i) => (i * 2654435761) >>> 24);
  for (const [tool, args] of [["gzip", ["-c"]], ["xz", ["-c", "--x86"]], ["xz", ["-c", "--check=sha256"]], ["lzma", ["-c"]], ["zstd", ["-q", "-c"]], ["lz4", ["-l", "-c"]], ["lz4", ["-c", "--content-size", "--block-checksum"]], ["bzip2", ["-c"]]] as const) {
    if (!requireTool(tool)) continue;
    const r = spawnSync(tool, args, { input: plain, maxBuffer: 1 << 26 });
    out.push({ name: `${tool} ${args.join(" ")}`, bytes: new Uint8Array(r.stdout) });
  }
  if (requireTool("mkimage") && requireTool("gzip")) {
    const gz = join(work, "k.gz");
    spawnSync("sh", ["-c", `gzip -c > "${gz}"`], { input: plain });
    const uimage = join(work, "uImage");
    spawnSync("mkimage", ["-A", "arm64", "-O", "linux", "-T", "kernel", "-C", "gzip", "-a", "0x80000", "-e", "0x80000", "-d", gz, uimage]);
    if (existsSync(uimage)) out.push({ name: "uImage (mkimage)", bytes: new Uint8Array(readFileSync(uimage)) });
    const fit = join(work, "fit.itb");
    spawnSync("mkimage", ["-f", "auto", "-A", "arm64", "-O", "linux", "-T", "kernel", "-C", "gzip", "-a", "0x80000", "-e", "0x80000", "-d", gz, fit]);
    if (existsSync(fit)) out.push({ name: "FIT (mkimage -f auto)", bytes: new Uint8Array(readFileSync(fit)) });
  }
  const xen = kernels ? join(kernels, "../xen/xen-amd64") : undefined;
  if (xen && existsSync(xen)) out.push({ name: "xen-amd64 (multiboot1+2)", bytes: new Uint8Array(readFileSync(xen).subarray(0, 64 << 10)) });
  if (kernels) out.push({ name: "arm64 Image head (PE)", bytes: new Uint8Array(readFileSync(join(kernels, "arm64-Image-6.1.0-50-cloud-arm64")).subarray(0, 64 << 10)) });
  return out;
}

const native = nodeCodecs();
const targets: FuzzTarget[] = [
  { name: "inflate (every codec, capped)", run: (b) => void inflate(b, { file: "fuzz.bin", maxOutput: CAP }) },
  { name: "inflate with a size trailer", run: (b) => void inflate(b, { file: "fuzz.bin", maxOutput: CAP, sizeTrailer: true }) },
  { name: "inflate through the Node edge's native decoders", run: (b) => void inflate(b, { file: "fuzz.bin", maxOutput: CAP, codecs: native }) },
  { name: "unwrapImage through the native decoders", run: (b) => void unwrapImage({ path: "fuzz.bin", bytes: b }, { maxOutput: CAP, codecs: native }) },
  { name: "unwrapImage (compressed, zboot, UKI, uImage, FIT)", run: (b) => void unwrapImage({ path: "fuzz.bin", bytes: b }, { maxOutput: CAP }) },
  { name: "unwrapImage prefix (what probes do)", run: (b) => void unwrapImage({ path: "fuzz.bin", bytes: b }, { maxOutput: CAP, prefixOnly: 4096 }) },
  { name: "PE/COFF reader", run: (b) => void parsePe(b, "fuzz.bin") },
  { name: "multiboot header finder (never throws)", run: (b) => void findMultibootHeaders(b) },
];

describeFuzzTargets("the codec and container readers", targets, seeds, budget, watchdog);
