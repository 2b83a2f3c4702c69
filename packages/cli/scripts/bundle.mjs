// Builds dist/handoff.cjs: the whole `handoff` CLI in one CommonJS file that runs with
// `node handoff.cjs` and nothing beside it (the kexec VM images carry only node,
// this file and koffi's binary), and dist/handoff.cjs.cache, V8's code cache for it
// (see bin/handoff.cjs). Input is tsc's output (dist/*.js, with its source maps,
// which esbuild chains into dist/handoff.cjs.map).
//
// CommonJS, not an ES module, because Node 20 can take a code cache only for a
// script (vm.Script's cachedData; module.enableCompileCache is Node 22): with it,
// start-up skips compiling the 1 MB file. Whitespace and syntax are minified (names
// are kept, and the source map maps back): less source for V8 to scan.
//
// No code splitting: esbuild turns each dynamic import() of a bundled module into
// a lazily run module initialiser in the same file, so a command module or an
// architecture is evaluated only when used, and V8 only pre-parses the rest.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { builtinModules } from "node:module";
import { build } from "esbuild";

// Node built-ins as lazily required modules. Hoisted to the top of the single file,
// every run would load net, child_process, crypto, worker_threads… before the first
// line of main, and node:fs's ES facade would touch all of its lazy getters (ReadStream
// pulls in the streams machinery). As `require()` inside the importing module's lazy
// initialiser, a built-in loads when the first module that uses it runs.
// koffi (the FFI library: a native binary per platform) goes the same way, found
// beside the file at run time: an `import("koffi")` left in the output would fail in
// code V8 took from the code cache (no dynamic-import callback there).
const BUILTIN = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const RUNTIME_REQUIRED = new Set(["koffi"]);
const lazyBuiltins = {
  name: "lazy-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      if (args.namespace === "lazy-builtin") return RUNTIME_REQUIRED.has(args.path) ? { path: args.path, external: true } : undefined;
      if (RUNTIME_REQUIRED.has(args.path)) return { path: args.path, namespace: "lazy-builtin" };
      return BUILTIN.has(args.path) ? { path: args.path.replace(/^(node:)?/, "node:"), namespace: "lazy-builtin" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

// Libraries whose module initialisers cost start-up time on every run (fflate's
// Huffman tables, noble's SHA-2 round constants, fzstd's FSE tables) but that only
// a compressed or FIT image needs. Each becomes a module of stand-ins that run the
// real module's initialiser on first use (esbuild wraps a require()d ES module in a
// lazy initialiser). Their exports are functions and classes (called, constructed,
// or read for a property such as `sha256.create`) or plain enum objects, all of
// which a Proxy forwards. fflate's browser build: the same codecs without the
// worker_threads wiring its Node build loads eagerly for its async API (unused).
const LAZY_MODULES = ["fflate", "fzstd", "@noble/hashes/sha2.js", "@noble/hashes/legacy.js"];
/** The file to bundle instead of the one Node's conditions pick (fflate's exports map names no browser subpath). */
const useFile = (path) => (/\/fflate\/esm\/index\.mjs$/.test(path) ? path.replace(/index\.mjs$/, "browser.js") : path);
const lazyModules = {
  name: "lazy-modules",
  setup(b) {
    const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const filter = new RegExp(`^(${LAZY_MODULES.map(escape).join("|")})$`);
    b.onResolve({ filter }, async (args) => {
      if (args.namespace === "lazy-real") return undefined; // our own b.resolve below
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: "import-statement", namespace: "lazy-real" });
      if (real.errors.length) return { errors: real.errors };
      const path = useFile(real.path);
      if (!existsSync(path)) return { errors: [{ text: `${path} (for ${args.path}) is missing` }] };
      // A short, machine-independent name for the bundle's comments; the file itself travels in pluginData.
      return { path: path.replace(/^.*\/node_modules\//, ""), namespace: "lazy-module", pluginData: path };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-module" }, async (args) => {
      const file = args.pluginData;
      const exported = await import(file);
      const lines = [`let m;`, `const real = () => (m ??= require(${JSON.stringify(file)}));`, STAND_IN];
      for (const [name, value] of Object.entries(exported)) {
        const make = `standIn(${JSON.stringify(name)}, ${typeof value === "function" ? "function () {}" : "{}"})`;
        lines.push(name === "default" ? `export default ${make};` : `export const ${name} = ${make};`);
      }
      return { contents: lines.join("\n"), loader: "js", resolveDir: file.replace(/\/[^/]*$/, "") };
    });
  },
};
const STAND_IN = `const standIn = (name, target) => new Proxy(target, {
  apply: (_, self, args) => Reflect.apply(real()[name], self, args),
  construct: (_, args) => Reflect.construct(real()[name], args),
  get: (_, key) => real()[name][key],
  has: (_, key) => key in real()[name],
  ownKeys: () => Reflect.ownKeys(real()[name]),
  getOwnPropertyDescriptor: (_, key) => ({ ...Reflect.getOwnPropertyDescriptor(real()[name], key), configurable: true }),
  getPrototypeOf: () => Reflect.getPrototypeOf(real()[name]),
});`;

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const outfile = new URL("../dist/handoff.cjs", import.meta.url).pathname;
const result = await build({
  entryPoints: [new URL("../dist/bundle-entry.js", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  plugins: [lazyModules, lazyBuiltins],
  // tsc's output is ES modules: their import.meta.url is this file's URL.
  define: { __HANDOFF_VERSION__: JSON.stringify(pkg.version), "import.meta.url": "__handoffFileUrl" },
  // Strict as the ES modules it is made of were: the directive must open the file, before the banner's statement.
  banner: { js: '"use strict"; var __handoffFileUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: "eof",
  logLevel: "warning",
  metafile: true,
});
const out = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith(".cjs"));
console.log(`bundled ${out[0]}: ${(out[1].bytes / 1024).toFixed(0)} KiB from ${Object.keys(result.metafile.inputs).length} modules`);

// The code cache (a child process, so it holds what a plain `node` compiles). A
// cache from an older bundle must not survive a failed step, so it goes first.
rmSync(`${outfile}.cache`, { force: true });
const writer = new URL("write-code-cache.cjs", import.meta.url).pathname;
const made = spawnSync(process.execPath, [writer, "archs"], { stdio: ["ignore", "ignore", "inherit"] });
if (made.status !== 0 || !existsSync(`${outfile}.cache`)) throw new Error(`writing ${outfile}.cache failed (exit ${made.status})`);
console.log(`code cache ${outfile}.cache: ${(readFileSync(`${outfile}.cache`).length / 1024).toFixed(0)} KiB`);
