"use strict";
// Run by scripts/bundle.mjs as `node write-code-cache.cjs archs`: runs the single
// file the way bin/handoff.cjs does, then saves what V8 compiled for that command
// as dist/handoff.cjs.cache (`archs` evaluates core and all four architectures).
const { compileSingleFile, writeCodeCache } = require("../bin/handoff.cjs");

const compiled = compileSingleFile();
process.on("exit", () => writeCodeCache(compiled));
compiled.run();
