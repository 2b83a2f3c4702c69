/**
 * Tests share helpers through @handoff/test-support only: no test file reaches
 * into another package's test folder (or the old scattered helper folders) by a
 * relative path, and test-support itself stays private and unpublished.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "@handoff/test-support";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist") return [];
    return statSync(path).isDirectory() ? files(path) : /\.(ts|mts|mjs)$/.test(name) ? [path] : [];
  });
}

/** The test root a file belongs to: `packages/<p>/test`, `examples/<e>/test` or `test`. */
function testRoot(path: string): string | undefined {
  const parts = relative(REPO_ROOT, path).split(sep);
  if ((parts[0] === "packages" || parts[0] === "examples") && parts[2] === "test") return parts.slice(0, 3).join("/");
  if (parts[0] === "test") return "test";
  return undefined;
}

const testFiles = [
  ...readdirSync(join(REPO_ROOT, "packages")).flatMap((p) => (p === "test-support" ? [] : safeFiles(join(REPO_ROOT, "packages", p, "test")))),
  ...readdirSync(join(REPO_ROOT, "examples")).flatMap((e) => safeFiles(join(REPO_ROOT, "examples", e, "test"))),
  ...safeFiles(join(REPO_ROOT, "test")),
];

function safeFiles(dir: string): string[] {
  try {
    return files(dir);
  } catch {
    return [];
  }
}

describe("test helpers live in @handoff/test-support", () => {
  it("finds the test files it checks", () => {
    expect(testFiles.length).toBeGreaterThan(50);
  });

  it("no test imports another package's test folder", () => {
    const crossings: string[] = [];
    for (const file of testFiles) {
      const own = testRoot(file);
      for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = resolve(dirname(file), m[1]!);
        const root = testRoot(target);
        if (root !== undefined && root !== own) crossings.push(`${relative(REPO_ROOT, file)} imports ${m[1]}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it("is private: never packed, never published", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "packages/test-support/package.json"), "utf8")) as { private?: boolean };
    expect(pkg.private).toBe(true);
  });
});
