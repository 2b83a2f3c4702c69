import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

// Tests run against package sources, not dist, so a change is tested without a rebuild.
// Subpath exports (`@handoff/core/kexec`) map to the folder's index.ts.
const alias = readdirSync(packagesDir).flatMap((dir) => [
  // Subpath exports (`@handoff/core/svg`): one folder each, its index.ts; the private
  // test-support package exports its modules as files (`@handoff/test-support/qemu-oracle`).
  { find: new RegExp(`^@handoff/${dir}/([\\w-]+)$`), replacement: dir === "test-support" ? `${packagesDir}${dir}/src/$1.ts` : `${packagesDir}${dir}/src/$1/index.ts` },
  { find: new RegExp(`^@handoff/${dir}$`), replacement: `${packagesDir}${dir}/src/index.ts` },
]);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
    setupFiles: ["./vitest.setup.ts"],
    // A private TMPDIR per run, and a failure when a test leaves a temp dir or a process behind.
    globalSetup: ["./packages/test-support/src/run-guard.ts"],
    testTimeout: 30_000,
    pool: "forks",
    reporters: ["default", "./scripts/summary-reporter.ts"],
  },
});
