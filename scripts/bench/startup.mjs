// Start-up of `handoff archs` against `node -e 0` (issue 16 target: <= 2x), interleaved
// runs in one process so machine load hits every variant alike (hyperfine is not installed).
// Usage: node scripts/bench/startup.mjs [runs]   (default 20). Prints medians and ratios.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const runs = Number(process.argv[2] ?? 20);
const variants = [
  ["node -e 0", ["-e", "0"]],
  ["handoff archs (the bin: single file + code cache)", ["packages/cli/bin/handoff.cjs", "archs"]],
  ["handoff archs (single file alone, dist/handoff.cjs)", ["packages/cli/dist/handoff.cjs", "archs"]],
  ["handoff archs (unbundled, dist/bin.js)", ["packages/cli/dist/bin.js", "archs"]],
  ["handoff --version (the bin)", ["packages/cli/bin/handoff.cjs", "--version"]],
];
const times = variants.map(() => []);
for (let i = 0; i < runs; i++) {
  for (const [v, [, args]] of variants.entries()) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${variants[v][0]} exited ${r.status}: ${r.stderr}`);
    times[v].push(ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times[0]);
console.log(`startup, ${runs} interleaved runs each, median wall time:`);
for (const [v, [name]] of variants.entries()) console.log(`  ${name.padEnd(48)} ${median(times[v]).toFixed(1).padStart(7)} ms  ${(median(times[v]) / base).toFixed(2)}x node -e 0`);
