// Issue 14's limit: no CLI function longer than 60 lines (a command is its option
// table + one library call + rendering). Usage: node scripts/check-function-length.mjs
// [DIR] [MAX] (default packages/cli/src 60). Exits 1 listing every function over the limit.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const [dir = "packages/cli/src", max = "60"] = process.argv.slice(2);
const walk = (d) => readdirSync(d).flatMap((n) => {
  const p = join(d, n);
  return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
});
const over = [];
for (const file of walk(dir)) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - first + 1;
      if (lines > Number(max)) over.push(`${file}:${first + 1}: ${node.name?.getText() ?? "(anonymous)"} is ${lines} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const line of over) console.error(line);
if (over.length > 0) process.exit(1);
console.log(`function length ok: none over ${max} lines in ${dir}`);
