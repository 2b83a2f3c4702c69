// Bundles the explorer page with esbuild: examples/explorer/dist/{index.html,explorer.js}.
// The page bundles no Node built-in: core and the arch packages import none
// (scripts/check-layering.mjs enforces it for core), and any `node:*` import
// reaching the bundle fails the build, naming its importer.
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const out = join(here, "dist");
const noNodeBuiltins = {
  name: "no-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${relative(root, args.importer).split("\\").join("/")} imports ${args.path}: the explorer page bundles no Node built-in` }],
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
  plugins: [noNodeBuiltins],
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(out, "index.html"));
const bytes = statSync(join(out, "explorer.js")).size;
// Where the bytes come from: per workspace package or npm dependency.
const byPackage = new Map();
for (const [file, info] of Object.entries(Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.inputs ?? {})) {
  const m = /packages\/([\w-]+)\/|node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\/|examples\/explorer\//.exec(file);
  const name = m?.[1] ? `@handoff/${m[1]}` : m?.[2] ?? "page";
  byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
}
const parts = [...byPackage].sort((a, b) => b[1] - a[1]).map(([n, b]) => `${n} ${(b / 1024).toFixed(1)} KiB`).join(", ");
console.log(`explorer: dist/explorer.js ${bytes} bytes (minified), no Node built-ins\n  by package: ${parts}`);
export default result;
