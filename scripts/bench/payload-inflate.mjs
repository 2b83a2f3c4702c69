// `node scripts/bench/payload-inflate.mjs [RUNS]` (after `npm run build`): the
// issue 18 target, side by side — handoff inflating the x86_64 fixture's bzImage
// payload vs the codec's own CLI on the same bytes. Prints medians and the ratio;
// exits 1 when handoff takes more than 1.5x the tool's wall time.
import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bzImagePayload, extractBzImagePayload } from "../../packages/x86/dist/index.js";

const runs = Number(process.argv[2] ?? 7);
const name = "x86_64-bzImage-6.1.0-56-cloud-amd64";
const candidates = [fileURLToPath(new URL(`../../../shared/fixtures/kernels/${name}`, import.meta.url)), `${process.env.HANDOFF_FIXTURES ?? ""}/${name}`];
const kernel = candidates.find((p) => existsSync(p));
if (!kernel) {
  console.error(`payload-inflate: ${name} not found (set HANDOFF_FIXTURES)`);
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(kernel));
const input = { path: kernel, bytes };
const p = bzImagePayload(input);
const stream = bytes.subarray(p.offset, p.offset + p.length - 4);
const codec = extractBzImagePayload(input).codec;
const tool = { lz4: "lz4 -dc", xz: "xz -dc --single-stream", gzip: "gzip -dc", zstd: "zstd -dcq", lzma: "lzma -dc", bzip2: "bzip2 -dc" }[codec];

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ours = [];
const theirs = [];
for (let i = 0; i < runs; i++) {
  // alternate, so load on a shared machine hits both alike
  let t = performance.now();
  extractBzImagePayload(input);
  ours.push(performance.now() - t);
  t = performance.now();
  const r = spawnSync("sh", ["-c", `${tool} > /dev/null`], { input: stream });
  theirs.push(performance.now() - t);
  if (r.status !== 0) throw new Error(`${tool}: ${r.stderr}`);
}
const a = median(ours);
const b = median(theirs);
const ratio = a / b;
console.log(`payload ${codec}, ${stream.length} bytes in, ${runs} runs each (medians):`);
console.log(`  handoff extractBzImagePayload  ${a.toFixed(1)} ms`);
console.log(`  ${tool.padEnd(28)}  ${b.toFixed(1)} ms`);
console.log(`  ratio ${ratio.toFixed(2)} (target <= 1.5): ${ratio <= 1.5 ? "met" : "NOT met"}`);
process.exit(ratio <= 1.5 ? 0 : 1);
