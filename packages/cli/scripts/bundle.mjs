// Builds dist/handoff.mjs: the whole `handoff` CLI in one ES module that runs with
// `node handoff.mjs` and nothing beside it (the kexec VM images carry only node,
// this file and koffi's binary). Input is tsc's output (dist/*.js, with its source
// maps, which esbuild chains into dist/handoff.mjs.map).
//
// No code splitting: esbuild turns each dynamic import() of a bundled module into
// a lazily run module initialiser in the same file, so a command module or an
// architecture is evaluated only when used, and V8 only pre-parses the rest.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

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
  define: { __HANDOFF_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies bundled into ESM may still call require() for Node built-ins.
  banner: { js: 'import { createRequire as __handoffCreateRequire } from "node:module"; const require = __handoffCreateRequire(import.meta.url);' },
  legalComments: "eof",
  logLevel: "warning",
  metafile: true,
});
const out = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith(".mjs"));
console.log(`bundled ${out[0]}: ${(out[1].bytes / 1024).toFixed(0)} KiB from ${Object.keys(result.metafile.inputs).length} modules`);
