import "reflect-metadata";
import fc from "fast-check";
import { afterAll, beforeEach } from "vitest";
import { removeTempDirs, testSeed } from "@handoff/test-support";

// One fixed seed for every property and seeded sample (HANDOFF_SEED overrides), so a
// run replays exactly; a failing test prints the seed to rerun it with.
const seed = testSeed();
fc.configureGlobal({ seed });
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`\nreplay: HANDOFF_SEED=${seed} (fast-check's global seed for this run)\n`));
});

// Every temp dir a test made with tempDir() goes, pass or fail.
afterAll(() => removeTempDirs());
