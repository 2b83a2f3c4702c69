import { defineConfig } from "vitest/config";

// The release rehearsal: publishes the built packages to a local registry and installs
// them. `npm test` runs it after the main suite (its own config: long timeouts, its own
// files); `npm run test:release` runs it alone.
export default defineConfig({
  test: {
    include: ["test/release/**/*.release.ts"],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: "forks",
    reporters: ["default", "./scripts/summary-reporter.ts"],
  },
});
