// Layering rule from DESIGN.md: core imports no arch package; arch packages import
// core (and the shared x86 or arm package), never each other; only the CLI may know them all.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const allowed = {
  core: [],
  x86: ["core"],
  x86_32: ["core", "x86"],
  x86_64: ["core", "x86"],
  arm: ["core"],
  arm32: ["core", "arm"],
  arm64: ["core", "arm"],
  xen: ["core"],
  qemu: ["core"],
};
const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
let bad = 0;
for (const [pkg, deps] of Object.entries(allowed)) {
  for (const file of walk(join("packages", pkg, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+["']@handoff\/([\w-]+)/g)) {
      if (!deps.includes(m[1])) {
        console.error(`${file}: imports @handoff/${m[1]}, which @handoff/${pkg} must not depend on`);
        bad++;
      }
    }
  }
}
if (bad) process.exit(1);
console.log("layering ok");
