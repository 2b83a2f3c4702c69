// Builds dist/handoff.mjs: the whole `handoff` CLI in one ES module that runs with
// `node handoff.mjs` and nothing beside it (the kexec VM images carry only node,
// this file and koffi's binary). Input is tsc's output (dist/*.js, with its source
// maps, which esbuild chains into dist/handoff.mjs.map).
//
// No code splitting: esbuild turns each dynamic import() of a bundled module into
// a lazily run module initialiser in the same file, so a command module or an
// architecture is evaluated only when used, and V8 only pre-parses the rest.
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { build } from "esbuild";

// Node built-ins as lazily required CommonJS modules. An ES module's `import … from
// "node:net"` would stay a static import at the top of the single file, so every run
// would load net, child_process, crypto, worker_threads… before the first line of
// main, and node:fs's ES facade would touch all of its lazy getters (ReadStream pulls
// in the streams machinery). As `require()` inside the importing module's lazy
// initialiser, a built-in loads when the first module that uses it runs.
const BUILTIN = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const lazyBuiltins = {
  name: "lazy-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) =>
      BUILTIN.has(args.path) && args.namespace !== "lazy-builtin" ? { path: args.path.replace(/^(node:)?/, "node:"), namespace: "lazy-builtin" } : undefined,
    );
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
const result = await build({
  entryPoints: [new URL("../dist/bundle-entry.js", import.meta.url).pathname],
  outfile: new URL("../dist/handoff.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  // The FFI library ships a native binary per platform: it stays a file beside node, not in the bundle.
  external: ["koffi"],
  plugins: [lazyModules, lazyBuiltins],
  define: { __HANDOFF_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies bundled into ESM may still call require() for Node built-ins.
  banner: { js: 'import { createRequire as __handoffCreateRequire } from "node:module"; const require = __handoffCreateRequire(import.meta.url);' },
  legalComments: "eof",
  logLevel: "warning",
  metafile: true,
});
const out = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith(".mjs"));
console.log(`bundled ${out[0]}: ${(out[1].bytes / 1024).toFixed(0)} KiB from ${Object.keys(result.metafile.inputs).length} modules`);
