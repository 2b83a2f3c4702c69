// Layering rules from DESIGN.md, as data:
// - which @handoff packages each package's sources may import (core none; arch
//   packages core and their family package, never each other; only the CLI knows them all);
// - which packages must stay pure (no Node built-ins: core runs in a browser or a JS emulator);
// - no import cycles between source files of any package (type-only imports included);
// - core names no architecture and no hypervisor: no name core exports (declarations,
//   re-exports, `export * as`) has a word naming one (see `namesArchOrHypervisor`).
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve, relative } from "node:path";

const allowed = {
  core: [],
  node: ["core"],
  // PVH is Xen's boot protocol: the x86 family reads Xen's ELF notes through @handoff/xen.
  x86: ["core", "xen"],
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
// Core names no architecture and no hypervisor. A name's words are its parts split at
// `_` and lower-to-upper case changes (`EM_X86_64` -> EM, X86, 64; `decodeXenNotes` ->
// decode, Xen, Notes); a word naming an arch or a hypervisor fails the check. The one
// exception is ELF's own e_machine constants (`EM_*`), which name machines because the
// ELF specification does and which core's generic ELF reader has to recognise.
const ARCH_OR_HYPERVISOR_WORD = /^(xen|kvm|hyperv|x86|x64|i[3-6]86|386|ia32|amd64|arm|arm32|arm64|aarch32|aarch64|thumb|riscv|riscv32|riscv64|pvh|hvc|vmcall)$/i;
const SPEC_NAMES = /^EM_/;
const wordsOf = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").split(/_+/).filter(Boolean);
const namesArchOrHypervisor = (name) => !SPEC_NAMES.test(name) && wordsOf(name).some((w) => ARCH_OR_HYPERVISOR_WORD.test(w));
const exportedNames = (text) => [
  ...[...text.matchAll(/^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]),
  ...[...text.matchAll(/^export\s+\*\s+as\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]),
  ...[...text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)].flatMap((m) =>
    m[1].split(",").map((part) => part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()).filter(Boolean),
  ),
];
for (const file of walk(join("packages", "core", "src"))) {
  for (const name of new Set(exportedNames(readFileSync(file, "utf8")))) {
    if (namesArchOrHypervisor(name)) fail(`${file}: exports ${name}, which names an architecture or a hypervisor; @handoff/core stays generic (move it to the arch, family or hypervisor package)`);
  }
}
if (bad) process.exit(1);
console.log(`layering ok (${packages.length} packages: dependency table, pure core, no import cycles, core exports no arch or hypervisor names)`);
