/**
 * Decompression against each codec's own tool (issue 18): the x86_64 fixture's
 * bzImage payload as the kernel build made it (LZ4 legacy frame: the issue's
 * target), and the vmlinux inside it recompressed by each Debian tool at its
 * default level. handoff inflates in this process with the codecs the CLI
 * installs (@handoff/node's nodeCodecs: zlib, libzstd, lzma-rs and liblz4 in front of core's
 * pure-JS decoders; HANDOFF_NATIVE_CODECS=0 measures core's alone), the way
 * `inspect --payload`, `plan` and `boot` do: the payload through @handoff/node's
 * inflateAhead (liblz4 on two cores: libuv's thread pool and the main thread)
 * and then extractBzImagePayload, which takes that result, both timed; the
 * recompressed files through inflate; the tool runs under bash's `time` reading
 * the same bytes from a file and writing to /dev/null.
 * Runs alternate, so load hits both alike; medians of wall and CPU
 * (user+sys: the tool's from time(1), handoff's from process.cpuUsage, all
 * threads). Each tool run is a fresh process; so that handoff's runs are too in
 * the one respect that matters here, the garbage of the previous run (53 MB
 * output buffers, which V8 would otherwise free during the next timed run) is
 * collected before each timed run, outside the timing. Nothing else is kept
 * between runs (each run allocates its output and loads liblz4 as the CLI does;
 * koffi itself stays loaded, as Node caches modules).
 *
 * usage: node scripts/bench/inflate.mjs [--runs N] [--target-only] [--json FILE]   (needs `npm run build`)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./stats.mjs";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const INFLATE_TARGET = 1.5;
const KERNEL_NAME = "x86_64-bzImage-6.1.0-56-cloud-amd64";
/** The tools, their default levels, and how each decompresses to stdout. */
const TOOLS = [
  { codec: "gzip", compress: ["gzip", "-n", "-c"], decompress: ["gzip", "-dc"] },
  { codec: "xz", compress: ["xz", "-T1", "-c"], decompress: ["xz", "-dc"] },
  { codec: "lzma", compress: ["lzma", "-c"], decompress: ["lzma", "-dc"] },
  { codec: "zstd", compress: ["zstd", "-q", "-c"], decompress: ["zstd", "-dcq"] },
  { codec: "lz4", compress: ["lz4", "-l", "-c"], decompress: ["lz4", "-dc"] },
  { codec: "bzip2", compress: ["bzip2", "-c"], decompress: ["bzip2", "-dc"] },
];


function fixtureKernel() {
  const dirs = [process.env.HANDOFF_FIXTURES, join(REPO_ROOT, "..", "shared", "fixtures", "kernels"), join(REPO_ROOT, "..", "..", "shared", "fixtures", "kernels")];
  const found = dirs.filter(Boolean).map((d) => join(d, KERNEL_NAME)).find((p) => existsSync(p));
  if (!found) throw new Error(`${KERNEL_NAME} not found beside the repo (set HANDOFF_FIXTURES)`);
  return found;
}

/** `bytes` compressed by `argv`, kept in .cache/inflate-bench (atomically renamed into place). */
function compressedOnce(bytes, key, argv) {
  const dir = join(REPO_ROOT, ".cache", "inflate-bench");
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `${key}.${argv[0]}`);
  if (!existsSync(target)) {
    const r = spawnSync(argv[0], argv.slice(1), { input: bytes, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.error?.message ?? r.stderr}`);
    writeFileSync(`${target}.tmp-${process.pid}`, r.stdout);
    renameSync(`${target}.tmp-${process.pid}`, target);
  }
  return target;
}

/**
 * The tool's wall and CPU time, from bash's `time` keyword (milliseconds, from
 * wait4's rusage): GNU time(1) prints hundredths, too coarse for a tool that
 * takes about 10 ms (lz4 on the payload).
 */
function timeTool(argv, file) {
  const script = 'TIMEFORMAT="%3R %3U %3S"; time "$@" < "$0" > /dev/null';
  const r = spawnSync("bash", ["-c", script, file, ...argv], { encoding: "utf8" });
  if (r.error) throw new Error(`bash: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} < ${file}: exit ${r.status}: ${r.stderr}`);
  const [wall, user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { wallMs: wall * 1000, cpuMs: (user + sys) * 1000 };
}

/** V8's full collection, to start each timed run without the previous run's garbage (see the module comment). */
function collectGarbage() {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  gc();
}

async function timeOurs(f) {
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await f();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, r };
}

/**
 * The payload inflated once by a fresh node, as a one-shot CLI does it: the
 * modules are loaded and the file read before the clock starts (that is the
 * CLI's start-up, measured on its own), and inside it are loading liblz4 and
 * koffi (nodeCodecs), the walk's first, unoptimised pass, the two-core inflate
 * and the parse. Prints `{ wallMs, cpuMs }`.
 */
async function oneShotChild() {
  const dist = (pkg) => pathToFileURL(join(REPO_ROOT, "packages", pkg, "dist", "index.js")).href;
  const { inflateAhead, nodeCodecs } = await import(dist("node"));
  const { bzImagePayloadFormat, extractBzImagePayload } = await import(dist("x86"));
  const kernel = fixtureKernel();
  const input = { path: kernel, bytes: new Uint8Array(readFileSync(kernel)) };
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const codecs = nodeCodecs();
  await inflateAhead(input, bzImagePayloadFormat);
  const out = extractBzImagePayload(input, { codecs }).vmlinux.bytes;
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ wallMs, cpuMs: (c.user + c.system) / 1000, outBytes: out.length }));
}

/** `f` given a file holding the x86_64 fixture's payload stream (without its size trailer), removed after. */
async function withPayloadFile(f) {
  const { bzImagePayload } = await import(pathToFileURL(join(REPO_ROOT, "packages", "x86", "dist", "index.js")).href);
  const kernel = fixtureKernel();
  const bytes = new Uint8Array(readFileSync(kernel));
  const p = bzImagePayload({ path: kernel, bytes });
  const dir = mkdtempSync(join(tmpdir(), "handoff-inflate-"));
  try {
    const file = join(dir, "payload");
    writeFileSync(file, bytes.subarray(p.offset, p.offset + p.length - 4));
    return f(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** {@link oneShotChild} in `runs` fresh processes, interleaved with `lz4 -dc` on the payload; medians. */
export function measureOneShot(runs, payloadFile) {
  const ours = [];
  const tool = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--one-shot-child"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`one-shot inflate exited ${r.status}: ${r.stderr}`);
    ours.push(JSON.parse(r.stdout));
    tool.push(timeTool(["lz4", "-dc"], payloadFile));
  }
  const row = { runs, oursMs: median(ours.map((x) => x.wallMs)), oursCpuMs: median(ours.map((x) => x.cpuMs)), toolMs: median(tool.map((x) => x.wallMs)), toolCpuMs: median(tool.map((x) => x.cpuMs)) };
  return { ...row, ratio: row.oursMs / row.toolMs };
}

/** Every codec: handoff's inflate vs the tool, interleaved; one row per codec. */
export async function measureInflate(runs = 7, log = () => {}, targetOnly = false) {
  const dist = (pkg, sub = "") => pathToFileURL(join(REPO_ROOT, "packages", pkg, "dist", sub, "index.js")).href;
  const { inflate, DEFAULT_CODECS } = await import(dist("core"));
  const { inflateAhead, nodeCodecs, NATIVE_CODECS_ENV } = await import(dist("node"));
  const { bzImagePayload, bzImagePayloadFormat, extractBzImagePayload } = await import(dist("x86"));
  const codecs = process.env[NATIVE_CODECS_ENV] === "0" ? DEFAULT_CODECS : nodeCodecs();
  const kernel = fixtureKernel();
  const bytes = new Uint8Array(readFileSync(kernel));
  const input = { path: kernel, bytes };
  const payload = bzImagePayload(input);
  const stream = bytes.subarray(payload.offset, payload.offset + payload.length - 4); // without the size trailer
  const extracted = extractBzImagePayload(input);
  const vmlinux = extracted.vmlinux.bytes;
  const key = `${KERNEL_NAME}-${vmlinux.length}`;
  const scratch = mkdtempSync(join(tmpdir(), "handoff-inflate-"));
  const rows = [];
  try {
    const cases = [
      { codec: extracted.codec, label: `bzImage payload as built (${extracted.codec}${extracted.codec === "lz4" ? ", legacy frame" : ""})`, file: join(scratch, "payload"), bytes: stream, target: true },
      ...TOOLS.map((t) => ({ codec: t.codec, label: `vmlinux recompressed: ${t.compress.join(" ")}`, file: compressedOnce(vmlinux, key, t.compress), target: false })),
    ];
    writeFileSync(cases[0].file, stream);
    for (const k of targetOnly ? cases.slice(0, 1) : cases) {
      const tool = TOOLS.find((t) => t.codec === k.codec).decompress;
      const data = k.bytes ?? new Uint8Array(readFileSync(k.file));
      // The payload goes the way `inspect --payload`/`plan` take it: inflated ahead on two cores, then parsed (HANDOFF_NATIVE_CODECS=0: nothing ahead).
      const payloadAsTheCliDoes = async () => {
        await inflateAhead(input, bzImagePayloadFormat);
        return { bytes: extractBzImagePayload(input, { codecs }).vmlinux.bytes };
      };
      const ours = k.target ? payloadAsTheCliDoes : async () => inflate(data, { file: k.file, codec: k.codec, codecs });
      const check = await ours();
      if (check.bytes.length !== vmlinux.length || Buffer.compare(Buffer.from(check.bytes.buffer, check.bytes.byteOffset, check.bytes.length), Buffer.from(vmlinux.buffer, vmlinux.byteOffset, vmlinux.length)) !== 0) {
        throw new Error(`${k.label}: handoff's inflate differs from the vmlinux`);
      }
      timeTool(tool, k.file); // warm the page cache and the binary
      const h = [];
      const t = [];
      const load = loadavg()[0];
      for (let i = 0; i < runs; i++) {
        const pair = [async () => h.push(await timeOurs(ours)), async () => t.push(timeTool(tool, k.file))];
        if (i % 2) pair.reverse();
        for (const f of pair) await f();
      }
      const row = {
        codec: k.codec,
        label: k.label,
        tool: tool.join(" "),
        target: k.target,
        inBytes: data.length,
        outBytes: vmlinux.length,
        load,
        oursMs: median(h.map((x) => x.wallMs)),
        oursCpuMs: median(h.map((x) => x.cpuMs)),
        toolMs: median(t.map((x) => x.wallMs)),
        toolCpuMs: median(t.map((x) => x.cpuMs)),
      };
      row.ratio = row.oursMs / row.toolMs;
      row.cpuRatio = row.oursCpuMs / row.toolCpuMs;
      rows.push(row);
      log(`${k.label.padEnd(48)} handoff ${row.oursMs.toFixed(0).padStart(5)} ms (CPU ${row.oursCpuMs.toFixed(0)})  ${row.tool.padEnd(10)} ${row.toolMs.toFixed(0).padStart(5)} ms (CPU ${row.toolCpuMs.toFixed(0)})  wall ${row.ratio.toFixed(2)}x  CPU ${row.cpuRatio.toFixed(2)}x  load ${load.toFixed(1)}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "7" }, "target-only": { type: "boolean", default: false }, json: { type: "string" }, "one-shot-child": { type: "boolean", default: false } } });
  if (values["one-shot-child"]) {
    await oneShotChild();
    process.exit(0);
  }
  const rows = await measureInflate(Number(values.runs), (s) => console.log(s), values["target-only"]);
  const oneShot = await withPayloadFile((file) => measureOneShot(Number(values.runs), file));
  console.log(`one-shot (a fresh node, koffi loaded and the walk compiled inside the timing): handoff ${oneShot.oursMs.toFixed(0)} ms (CPU ${oneShot.oursCpuMs.toFixed(0)})  lz4 -dc ${oneShot.toolMs.toFixed(0)} ms  wall ${oneShot.ratio.toFixed(2)}x`);
  // --json FILE: the rows for compare-kexec-tools.mjs, which runs this section in a process of its own.
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, oneShot }));
  const target = rows.find((r) => r.target);
  console.log(`issue 18 target (${target.label}): wall ${target.ratio.toFixed(2)}x, CPU ${target.cpuRatio.toFixed(2)}x of ${target.tool} (<= ${INFLATE_TARGET}): ${target.ratio <= INFLATE_TARGET ? "met" : "MISSED"}`);
  process.exitCode = target.ratio <= INFLATE_TARGET ? 0 : 1;
}
