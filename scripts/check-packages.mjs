// Every publishable package must pass publint and "are the types wrong" (ESM-only
// profile: the packages are ESM by design) as the tarball npm would publish.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const dirs = readdirSync("packages").map((d) => join("packages", d));
let failed = 0;
for (const dir of dirs) {
  const { name, private: isPrivate } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (isPrivate) continue;
  for (const [tool, args] of [
    ["publint", ["publint", "--strict", dir]],
    ["attw", ["attw", "--pack", dir, "--profile", "esm-only", "--format", "ascii"]],
  ]) {
    try {
      execFileSync("npx", ["--no-install", ...args], { stdio: "pipe", encoding: "utf8" });
      console.log(`ok    ${tool.padEnd(8)} ${name}`);
    } catch (e) {
      failed++;
      console.error(`FAIL  ${tool.padEnd(8)} ${name}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }
}
if (failed) process.exit(1);
