import { defineConfig } from "vitest/config";

// The release test (`npm run test:release`): publishes the built packages to a local
// registry and installs them, so it runs on its own, after `npm run build`, not in `npm test`.
export default defineConfig({
  test: {
    include: ["test/release/**/*.release.ts"],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: "forks",
    reporters: ["default", "./scripts/summary-reporter.ts"],
  },
});
