// The examples in the package READMEs are programs: every ```ts block is
// type-checked against the built packages as a user's project would see them
// (package exports, NodeNext resolution, strict), then run with Node, and the
// ```text block that follows it must be exactly what it prints.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface ReadmeExample { readonly readme: string; readonly line: number; readonly code: string; readonly output: string | undefined }

/** ```ts blocks of a Markdown file, each with the ```text block right after it (blank lines and one prose line allowed between). */
export function readmeExamples(readme: string, markdown: string): ReadmeExample[] {
  const fences = [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
  const out: ReadmeExample[] = [];
  fences.forEach((f, i) => {
    if (f[1] !== "ts") return;
    const next = fences[i + 1];
    const between = next ? markdown.slice(f.index + f[0].length, next.index).trim() : "";
    const output = next && next[1] === "text" && !between.includes("\n") ? next[2] : undefined;
    out.push({ readme, line: markdown.slice(0, f.index).split("\n").length, code: f[2]!, output });
  });
  return out;
}

const publicPackages = readdirSync(join(ROOT, "packages")).filter((d) => {
  const file = join(ROOT, "packages", d, "package.json");
  return existsSync(file) && JSON.parse(readFileSync(file, "utf8")).private !== true;
});

describe("package READMEs", () => {
  // Inside the repository, so `@handoff/*` resolves through node_modules as a user's import does.
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  const work = mkdtempSync(join(ROOT, ".cache", "readme-examples-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(publicPackages)("packages/%s has a README with an install line and a LICENSE", (dir) => {
    const { name, license } = JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8"));
    const readme = readFileSync(join(ROOT, "packages", dir, "README.md"), "utf8");
    expect(readme).toMatch(new RegExp(`^# ${name.replace("/", "\\/")}\\n`));
    expect(readme).toContain(`npm install ${name}`);
    expect(license).toBe("MIT");
    expect(readFileSync(join(ROOT, "packages", dir, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });

  it("every TypeScript example type-checks against the built packages and prints what its README shows", () => {
    const examples = publicPackages.flatMap((dir) => readmeExamples(`packages/${dir}/README.md`, readFileSync(join(ROOT, "packages", dir, "README.md"), "utf8")));
    expect(examples.length).toBeGreaterThanOrEqual(publicPackages.length - 1);
    const files = examples.map((e, i) => {
      const file = join(work, `example-${i}.mts`);
      writeFileSync(file, e.code);
      return file;
    });
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true, noEmit: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")], experimentalDecorators: true, skipLibCheck: true,
    };
    const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram(files, options)).map((d) => {
      const where = d.file ? examples[files.indexOf(d.file.fileName)] : undefined;
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${where ? `${where.readme}:${where.line + line}` : "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(diagnostics).toEqual([]);

    examples.forEach((e, i) => {
      const js = ts.transpileModule(e.code, { fileName: `example-${i}.mts`, compilerOptions: { ...options, noEmit: false } }).outputText;
      const file = join(work, `example-${i}.mjs`);
      writeFileSync(file, js);
      const r = spawnSync(process.execPath, [file], { cwd: work, encoding: "utf8", timeout: 60_000 });
      expect(r.stderr, `${e.readme}:${e.line}`).toBe("");
      expect(r.status, `${e.readme}:${e.line}`).toBe(0);
      if (e.output !== undefined) expect(r.stdout, `${e.readme}:${e.line}`).toBe(e.output);
    });
  }, 120_000);
});
