#!/usr/bin/env node
// Committed launcher so npm can link the bin before dist/ is built.
import "../dist/bin.js";
