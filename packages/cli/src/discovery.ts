import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PluginError, isArchitecturePlugin, type ArchitecturePlugin } from "@handoff/core";

/** package.json keyword that marks an architecture plugin. */
export const ARCH_KEYWORD = "handoff-arch";

/** Deepest directory chain we walk when looking for node_modules. */
const MAX_ANCESTORS = 64;

interface PackageJson {
  name?: string;
  keywords?: unknown;
  main?: string;
  exports?: unknown;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PackageJson;
  } catch (cause) {
    throw new PluginError(dir, "package.json is not valid JSON", { cause });
  }
}

function entryOf(dir: string, pkg: PackageJson): string {
  const exp = pkg.exports;
  let entry: unknown = pkg.main;
  if (typeof exp === "string") entry = exp;
  else if (exp && typeof exp === "object") {
    const dot = (exp as Record<string, unknown>)["."] ?? exp;
    if (typeof dot === "string") entry = dot;
    else if (dot && typeof dot === "object") {
      const d = dot as Record<string, unknown>;
      entry = d.import ?? d.default ?? entry;
    }
  }
  if (typeof entry !== "string") throw new PluginError(pkg.name ?? dir, "package.json names no entry point (exports['.'].import or main)");
  return join(dir, entry);
}

/** node_modules directories from `start` up to the root, nearest first. */
function nodeModulesChain(start: string): string[] {
  const out: string[] = [];
  let dir = resolve(start);
  for (let i = 0; i < MAX_ANCESTORS; i++) {
    out.push(join(dir, "node_modules"));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

/**
 * Package directories worth a look in one node_modules: everything under
 * `@handoff/`, and third-party plugins named `handoff-arch-*` or
 * `@scope/handoff-arch-*` (the naming convention, as eslint-plugin-* is).
 */
function candidateDirs(nm: string): string[] {
  if (!existsSync(nm)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(nm).sort()) {
    if (entry === "@handoff") {
      for (const name of readdirSync(join(nm, entry)).sort()) out.push(join(nm, entry, name));
    } else if (entry.startsWith("handoff-arch-")) {
      out.push(join(nm, entry));
    } else if (entry.startsWith("@")) {
      const scope = join(nm, entry);
      for (const name of readdirSync(scope).sort()) if (name.startsWith("handoff-arch-")) out.push(join(scope, name));
    }
  }
  return out;
}

/** Directories of installed packages that declare the `handoff-arch` keyword, nearest first. */
export function findInstalledArchPackages(startDirs: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const start of startDirs) {
    for (const nm of nodeModulesChain(start)) {
      for (const dir of candidateDirs(nm)) {
        const pkg = readPackageJson(dir);
        if (!pkg?.name || seen.has(pkg.name)) continue;
        if (Array.isArray(pkg.keywords) && pkg.keywords.includes(ARCH_KEYWORD)) seen.set(pkg.name, realpathSync(dir));
      }
    }
  }
  return [...seen.values()];
}

/** Resolve `--plugin NAME` (a package name or a path) to a package directory. */
export function resolvePluginDir(spec: string, cwd: string): string {
  if (spec.startsWith(".") || isAbsolute(spec)) {
    const dir = resolve(cwd, spec);
    if (!readPackageJson(dir)) throw new PluginError(spec, `no package.json in ${dir}`);
    return dir;
  }
  for (const nm of nodeModulesChain(cwd)) {
    const dir = join(nm, spec);
    if (readPackageJson(dir)) return dir;
  }
  throw new PluginError(spec, `package not found from ${cwd}`);
}

/** Import a plugin package and check its `plugin` export. */
export async function loadPlugin(dir: string): Promise<ArchitecturePlugin> {
  const pkg = readPackageJson(dir);
  if (!pkg) throw new PluginError(dir, "no package.json");
  const label = pkg.name ?? dir;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(entryOf(dir, pkg)).href)) as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof PluginError) throw cause;
    throw new PluginError(label, `cannot import: ${(cause as Error).message}`, { cause });
  }
  if (!isArchitecturePlugin(mod.plugin)) throw new PluginError(label, "does not export a `plugin` (name, provides, register)");
  return mod.plugin;
}

/** Where the CLI itself is installed: discovery starts there and at the working directory. */
export function cliInstallDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}
