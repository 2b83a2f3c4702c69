import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository this test file sits in. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Copies the repository's working tree (tracked and untracked-but-not-ignored files,
 * so uncommitted work is what gets released) into `dest`, with `node_modules` linked
 * rather than copied. Release tools (`changeset version`, `publish`) then run on the
 * copy and never touch the real checkout. `withBuild` also copies each package's and
 * example's `dist/` (ignored by git), so the copy can be published without a rebuild.
 */
export function copyWorkingTree(dest: string, options: { withBuild?: boolean } = {}): void {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of files) if (existsSync(join(REPO_ROOT, f))) cpSync(join(REPO_ROOT, f), join(dest, f), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dest, "node_modules"));
  if (!options.withBuild) return;
  for (const parent of ["packages", "examples"]) {
    for (const dir of readdirSync(join(REPO_ROOT, parent))) {
      const dist = join(REPO_ROOT, parent, dir, "dist");
      if (existsSync(dist)) cpSync(dist, join(dest, parent, dir, "dist"), { recursive: true });
    }
  }
}

/** One npm workspace package as its package.json declares it. */
export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly private: boolean;
  /** Folder relative to the repository root. */
  readonly dir: string;
  /** What an installer fetches with it: dependencies, optional and non-optional peer dependencies. */
  readonly runtimeDependencies: Readonly<Record<string, string>>;
  /** Which of those are optional (an installer may skip them, e.g. another platform's binary). */
  readonly optionalDependencies: ReadonlySet<string>;
}

/** The workspace packages of the repository at `root` (the `"dir/*"` globs of its root package.json). */
export function workspacePackages(root: string): WorkspacePackage[] {
  const globs = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
  const out: WorkspacePackage[] = [];
  for (const glob of globs) {
    if (!glob.endsWith("/*")) throw new Error(`workspace glob '${glob}' is not of the form 'dir/*'`);
    const parent = glob.slice(0, -2);
    for (const d of readdirSync(join(root, parent)).sort()) {
      const file = join(root, parent, d, "package.json");
      if (existsSync(file)) out.push(readPackage(root, join(parent, d)));
    }
  }
  return out;
}

/** Reads the package at `dir` (relative to `root`). */
export function readPackage(root: string, dir: string): WorkspacePackage {
  const p = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
    name: string; version: string; private?: boolean;
    dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
  };
  return {
    name: p.name, version: p.version, private: p.private === true, dir,
    runtimeDependencies: { ...p.peerDependencies, ...p.optionalDependencies, ...p.dependencies },
    optionalDependencies: new Set(Object.keys(p.optionalDependencies ?? {}).filter((d) => !(p.dependencies && d in p.dependencies))),
  };
}
