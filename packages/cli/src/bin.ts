#!/usr/bin/env node
import "reflect-metadata";
import { main } from "./main.js";

const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  cwd: process.cwd(),
});
process.exitCode = code;
