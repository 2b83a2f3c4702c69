// Layering rules from DESIGN.md, as data:
// - which @handoff packages each package's sources may import (core none; arch
//   packages core and their family package, never each other; only the CLI knows them all);
// - which packages must stay pure (no Node built-ins: core runs in a browser or a JS emulator);
// - no import cycles between source files of any package (type-only imports included);
// - core names no architecture and no hypervisor: no name core exports (declarations,
//   re-exports, `export * as`) has a word naming one (see `namesArchOrHypervisor`), and no
//   string literal in core's code does either (comments are free to give examples): what
//   an arch or hypervisor is called in a header, core asks the registered architectures.
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
// decode, Xen, Notes); a word naming an arch or a hypervisor fails the check. A string
// literal's words are split the same way and at every other non-alphanumeric character
// (`"pvh-elf"` -> pvh, elf). ELF's e_machine constants (`EM_X86_64`) are no exception:
// each arch or family package declares its own.
const ARCH_OR_HYPERVISOR_WORD = /^(xen|kvm|hyperv|x86|x64|i[3-6]86|386|ia32|amd64|arm|arm32|arm64|aarch32|aarch64|thumb|riscv|riscv32|riscv64|pvh|hvc|vmcall)$/i;
const wordsOf = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").split(/[^A-Za-z0-9]+/).filter(Boolean);
const namesArchOrHypervisor = (name) => wordsOf(name).some((w) => ARCH_OR_HYPERVISOR_WORD.test(w));
const exportedNames = (text) => [
  ...[...text.matchAll(/^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]),
  ...[...text.matchAll(/^export\s+\*\s+as\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]),
  ...[...text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)].flatMap((m) =>
    m[1].split(",").map((part) => part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()).filter(Boolean),
  ),
];
/**
 * The string literals of a TypeScript source with their line numbers: quoted strings, the
 * text parts of template literals (their `${...}` parts are code, scanned as such) and
 * bare property keys (`key: true`).
 * Comments and regular expression literals are skipped. A small scanner, not a parser:
 * enough for core's own sources, which tsc has already accepted.
 */
function stringLiterals(text) {
  const found = [];
  const templates = []; // open `${` nesting depth of each template literal being read
  let i = 0;
  let line = 1;
  let last = ""; // the previous token's last character or word, to tell `/` division from a regex
  const advance = (to) => {
    for (; i < to; i++) if (text[i] === "\n") line++;
  };
  const readQuoted = (quote) => {
    const at = line;
    let value = "";
    for (i++; i < text.length && text[i] !== quote && text[i] !== "\n"; i++) {
      // An escape (`\n`, `\"`) separates words: "\narm64" still names arm64.
      if (text[i] === "\\") {
        i++;
        value += " ";
      } else value += text[i];
    }
    i++;
    found.push({ value, line: at });
  };
  const readTemplateText = () => {
    const at = line;
    let value = "";
    while (i < text.length && text[i] !== "`") {
      if (text[i] === "\\") {
        i++; // the escaped character; the escape separates words, as in a quoted string
        value += " ";
      } else if (text[i] === "$" && text[i + 1] === "{") {
        i += 2;
        templates.push(0);
        found.push({ value, line: at });
        return;
      } else value += text[i];
      if (text[i++] === "\n") line++;
    }
    i++;
    found.push({ value, line: at });
  };
  const regexMayFollow = () => last === "" || /[(,=:[!&|?{};+\-*%<>~^]$/.test(last) || /^(return|typeof|case|of|in|void|throw|yield|await)$/.test(last);
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && text[i + 1] === "/") advance(text.indexOf("\n", i) < 0 ? text.length : text.indexOf("\n", i));
    else if (c === "/" && text[i + 1] === "*") advance(text.indexOf("*/", i + 2) < 0 ? text.length : text.indexOf("*/", i + 2) + 2);
    else if (c === '"' || c === "'") {
      readQuoted(c);
      last = "a";
    } else if (c === "`") {
      i++;
      readTemplateText();
      last = "a";
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === 0) {
      templates.pop();
      i++;
      readTemplateText();
      last = "a";
    } else if (c === "/" && regexMayFollow()) {
      let inClass = false;
      for (i++; i < text.length && text[i] !== "\n" && (inClass || text[i] !== "/"); i++) {
        if (text[i] === "\\") i++;
        else if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
      }
      for (i++; /[a-z]/.test(text[i] ?? ""); i++);
      last = "a";
    } else if (/[\w$]/.test(c)) {
      const start = i;
      while (i < text.length && /[\w$]/.test(text[i])) i++;
      // A bare property key (`{ x86_64: 246 }`, `, arm: "..."`) names as much as a quoted one.
      if ((last === "{" || last === ",") && /^\s*:(?!:)/.test(text.slice(i, i + 40))) found.push({ value: text.slice(start, i), line, key: true });
      last = text.slice(start, i);
    } else {
      if (templates.length > 0 && c === "{") templates[templates.length - 1]++;
      if (templates.length > 0 && c === "}") templates[templates.length - 1]--;
      last = c;
      i++;
    }
  }
  return found;
}

for (const file of walk(join("packages", "core", "src"))) {
  const text = readFileSync(file, "utf8");
  for (const name of new Set(exportedNames(text))) {
    if (namesArchOrHypervisor(name)) fail(`${file}: exports ${name}, which names an architecture or a hypervisor; @handoff/core stays generic (move it to the arch, family or hypervisor package)`);
  }
  for (const literal of stringLiterals(text)) {
    if (!namesArchOrHypervisor(literal.value)) continue;
    const word = wordsOf(literal.value).find((w) => ARCH_OR_HYPERVISOR_WORD.test(w));
    fail(`${file}:${literal.line}: the ${literal.key ? "property key" : "string"} ${JSON.stringify(literal.value.length > 60 ? `${literal.value.slice(0, 60)}...` : literal.value)} names an architecture or a hypervisor (${word}); @handoff/core stays generic: let the arch, family or hypervisor package declare it (e.g. in its defineArchitecture data) and core ask for it`);
  }
}
if (bad) process.exit(1);
console.log(`layering ok (${packages.length} packages: dependency table, pure core, no import cycles, core exports and strings name no arch or hypervisor)`);
