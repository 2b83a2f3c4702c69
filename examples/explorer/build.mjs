// Bundles the explorer page with esbuild: examples/explorer/dist/{index.html,explorer.js}.
// Core is meant to import no `node:*` module; while some of its files still do
// (the Node edge is moving to @handoff/node), they are replaced by a module that
// throws if called, and the build names each importer. Any other `node:*`
// import fails the build: the page must not grow a Node dependency.
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const out = join(here, "dist");
/** Core files that still import Node built-ins, none of whose code the page calls. */
const TOLERATED = new Set(["packages/core/dist/atomic-write.js", "packages/core/dist/segment-digest.js"]);

const shimmed = new Map();
const nodeShim = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      const importer = relative(root, args.importer).split("\\").join("/");
      if (!TOLERATED.has(importer)) return { errors: [{ text: `${importer} imports ${args.path}: the explorer page bundles no Node built-in` }] };
      shimmed.set(importer, [...(shimmed.get(importer) ?? []), args.path]);
      return { path: args.path, namespace: "node-shim" };
    });
    b.onLoad({ filter: /.*/, namespace: "node-shim" }, (args) => ({
      // CommonJS, so any named import binds; calling anything throws, naming it.
      contents: `const where = ${JSON.stringify(args.path)};
module.exports = new Proxy({}, { get: (_, k) => (k === "__esModule" || typeof k === "symbol" ? undefined : () => { throw new Error(String(k) + " of " + where + " is not available in a browser"); }) });`,
      loader: "js",
    }));
  },
};

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(here, "src/page.ts")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: "linked",
  outfile: join(out, "explorer.js"),
  mainFields: ["module", "main"],
  conditions: ["import"],
  metafile: true,
  plugins: [nodeShim],
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(out, "index.html"));
const bytes = statSync(join(out, "explorer.js")).size;
// Where the bytes come from: per workspace package or npm dependency.
const byPackage = new Map();
for (const [file, info] of Object.entries(Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.inputs ?? {})) {
  const m = /packages\/([\w-]+)\/|node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\/|examples\/explorer\//.exec(file);
  const name = m?.[1] ? `@handoff/${m[1]}` : m?.[2] ?? (file.startsWith("node-shim:") ? "node shim" : "page");
  byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
}
const parts = [...byPackage].sort((a, b) => b[1] - a[1]).map(([n, b]) => `${n} ${(b / 1024).toFixed(1)} KiB`).join(", ");
const shimNote = shimmed.size ? `; Node shim for ${[...shimmed].map(([f, m]) => `${f} (${[...new Set(m)].join(", ")})`).join(", ")}` : "; no Node shim";
console.log(`explorer: dist/explorer.js ${bytes} bytes (minified)${shimNote}\n  by package: ${parts}`);
export default result;
