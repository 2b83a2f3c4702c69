// Issue 14's limit: no source file in @handoff/core over 400 lines, so each file
// stays one concern a reader can hold (split by concern, not by line count).
// Usage: node scripts/check-file-length.mjs [DIR] [MAX] (default packages/core/src 400).
// Exits 1 listing every .ts file over the limit.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const [dir = "packages/core/src", max = "400"] = process.argv.slice(2);
const walk = (d) =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
let largest = { file: "", lines: 0 };
const over = [];
for (const file of walk(dir)) {
  const text = readFileSync(file, "utf8");
  // Lines as `wc -l` counts them, plus a last line without a newline.
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  if (lines > largest.lines) largest = { file, lines };
  if (lines > Number(max)) over.push(`${file}: ${lines} lines (limit ${max}); split it by concern`);
}
for (const line of over) console.error(line);
if (over.length > 0) process.exit(1);
console.log(`file length ok: none over ${max} lines in ${dir} (largest ${largest.file}, ${largest.lines})`);
