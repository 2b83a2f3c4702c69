// Layering rules from DESIGN.md, as data:
// - which @handoff packages each package's sources may import (core none; arch
//   packages core and their family package, never each other; only the CLI knows them all);
// - which packages must stay pure (no Node built-ins: core runs in a browser or a JS emulator);
// - no import cycles between source files of any package (type-only imports included).
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve, relative } from "node:path";

const allowed = {
  core: [],
  node: ["core"],
  x86: ["core"],
  x86_32: ["core", "x86"],
  x86_64: ["core", "x86"],
  arm: ["core"],
  arm32: ["core", "arm"],
  arm64: ["core", "arm"],
  xen: ["core"],
  qemu: ["core", "node"],
};
/** Packages that may not import Node built-ins (`node:*` or bare `fs`, `path`, ...). */
const pure = ["core"];

const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
const importsOf = (text) =>
  [...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\s)import\s+["']([^"']+)["']/g)].map((m) => m[1] ?? m[2] ?? m[3]);
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

let bad = 0;
const fail = (msg) => {
  console.error(msg);
  bad++;
};
const packages = readdirSync("packages").filter((p) => existsSync(join("packages", p, "src")));
for (const pkg of packages) {
  const deps = allowed[pkg];
  const files = walk(join("packages", pkg, "src"));
  const graph = new Map();
  for (const file of files) {
    const edges = [];
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      const scoped = spec.match(/^@handoff\/([\w-]+)(\/.*)?$/);
      if (scoped) {
        if (scoped[1] === pkg) fail(`${file}: imports its own package as ${spec}; use a relative import`);
        else if (deps && !deps.includes(scoped[1])) fail(`${file}: imports ${spec}, which @handoff/${pkg} must not depend on`);
      } else if (pure.includes(pkg) && (spec.startsWith("node:") || builtins.has(spec.split("/")[0]))) {
        fail(`${file}: imports the Node built-in ${spec}; @handoff/${pkg} must stay free of Node I/O (it belongs in @handoff/node)`);
      } else if (spec.startsWith(".")) {
        edges.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    }
    graph.set(resolve(file), edges);
  }
  // Cycle check: depth-first search, reporting each cycle once by its path.
  const state = new Map();
  const stack = [];
  const visit = (node) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        const cycle = stack.slice(stack.indexOf(next)).concat(next).map((f) => relative(process.cwd(), f));
        fail(`import cycle in @handoff/${pkg}: ${cycle.join(" -> ")}`);
      } else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
}
if (bad) process.exit(1);
console.log(`layering ok (${packages.length} packages: dependency table, pure core, no import cycles)`);
