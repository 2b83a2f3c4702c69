#!/usr/bin/env node
// Committed launcher so npm can link the bin before dist/ is built (npm ci links
// bins before `prepare` builds): it runs the single-file CLI, dist/handoff.mjs.
import "../dist/handoff.mjs";
