// `npm run fuzz [SECONDS]`: run the parser fuzz harness for SECONDS per target
// (default 60; or FUZZ_SECONDS). FUZZ_SEED replays a failure. Exits non-zero on
// the first input that throws anything but a HandoffError, is too slow, or hangs.
import { spawnSync } from "node:child_process";

const seconds = Number(process.argv[2] ?? process.env.FUZZ_SECONDS ?? 60);
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`usage: npm run fuzz [SECONDS]  (got '${process.argv[2]}')`);
  process.exit(2);
}
const r = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "packages/cli/test/fuzz", `--testTimeout=${(seconds + 120) * 1000}`],
  { stdio: "inherit", env: { ...process.env, FUZZ_SECONDS: String(seconds) } },
);
process.exit(r.status ?? 1);
