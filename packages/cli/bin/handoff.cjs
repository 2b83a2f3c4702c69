#!/usr/bin/env node
"use strict";
// The `handoff` bin, committed so npm can link it before dist/ is built (npm ci
// links bins before `prepare` builds). It runs the single-file CLI,
// dist/handoff.cjs, the way Node's own loader would, except that V8 is handed
// the code cache dist/handoff.cjs.cache that `npm run build` wrote: start-up
// then skips compiling the 1 MB file and most functions a command runs.
//
// The cache is used only when its SHA-256 header covers these very bytes of the
// bundle and of the cache (V8 itself checks only its version, its flags and the
// source's length); otherwise, or when V8 rejects it (another Node), the file is
// compiled from source as usual. Nothing is written at run time.
const { createHash } = require("node:crypto");
const { readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");

const SINGLE_FILE = join(__dirname, "..", "dist", "handoff.cjs");
const DIGEST_BYTES = 32;

function digestOf(bundle, data) {
  return createHash("sha256").update(bundle).update(data).digest();
}

/** The V8 cache data in `${file}.cache` when its header matches `bundle`, else undefined. */
function cacheFor(file, bundle) {
  let cache;
  try {
    cache = readFileSync(`${file}.cache`);
  } catch {
    return undefined; // not built, or not shipped: compile from source
  }
  const data = cache.subarray(DIGEST_BYTES);
  return cache.length > DIGEST_BYTES && digestOf(bundle, data).equals(cache.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

/**
 * Compile `file` as a CommonJS module (with its code cache when that fits).
 * Returns the script, whether V8 took the cache, and `run()`, which evaluates it.
 */
function compileSingleFile(file = SINGLE_FILE) {
  const bundle = readFileSync(file);
  const cachedData = cacheFor(file, bundle);
  // Node's CommonJS wrapper, plus `__handoffImport`: code V8 takes from a cache
  // has no dynamic-import callback, so the bundle imports plugins from disk
  // through this file's own import() (see src/bundle-entry.ts).
  const source = `(function (exports, require, module, __filename, __dirname, __handoffImport) { ${bundle.toString("utf8")}\n});`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const run = () => {
    const module = { exports: {}, id: file, filename: file, loaded: false, children: [], paths: [] };
    const importFromDisk = (url) => import(url);
    script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, dirname(file), importFromDisk);
  };
  return { script, bundle, file, cacheUsed: cachedData !== undefined && !script.cachedDataRejected, run };
}

/** Write `${file}.cache` from a compiled (and, for a fuller cache, run) single file; atomically. */
function writeCodeCache({ script, bundle, file }) {
  const data = script.createCachedData();
  const temp = `${file}.cache.tmp-${process.pid}`;
  writeFileSync(temp, Buffer.concat([digestOf(bundle, data), data]));
  renameSync(temp, `${file}.cache`);
}

module.exports = { compileSingleFile, writeCodeCache, SINGLE_FILE };

/** Run the CLI; a checkout that was never built gets one line and exit 70, not a stack trace. */
function main() {
  let compiled;
  try {
    compiled = compileSingleFile();
  } catch (error) {
    if (error && error.code === "ENOENT" && error.path === SINGLE_FILE) {
      process.stderr.write(`handoff: ${SINGLE_FILE} is missing: this checkout is not built (run 'npm run build')\n`);
      process.exitCode = 70;
      return;
    }
    throw error;
  }
  compiled.run();
}

if (require.main === module) main();
