/**
 * The one seed every property test and every seeded sample runs with, so a run is
 * reproducible: fixed by default, overridden by HANDOFF_SEED (decimal or 0x-hex).
 * vitest.setup.ts installs it as fast-check's global seed and prints it when a test fails.
 */
export const DEFAULT_TEST_SEED = 0x5eed;

/** The seed of this run: HANDOFF_SEED when set, else DEFAULT_TEST_SEED. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.HANDOFF_SEED?.trim();
  if (raw === undefined || raw === "") return DEFAULT_TEST_SEED;
  const value = Number(raw);
  // fast-check seeds are 32-bit integers; anything else is a typo, not a seed.
  if (!Number.isSafeInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) throw new Error(`HANDOFF_SEED=${raw} is not a 32-bit integer`);
  return value | 0;
}
