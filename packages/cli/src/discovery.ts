import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PluginError, isArchitecturePlugin, type ArchitecturePlugin } from "@handoff/core";

/** package.json keyword that marks an architecture plugin. */
export const ARCH_KEYWORD = "handoff-arch";

/** Deepest directory chain we walk when looking for node_modules. */
const MAX_ANCESTORS = 64;
/** A package.json larger than this is not read (discovery must stay cheap and bounded). */
const MAX_PACKAGE_JSON_BYTES = 1 << 20;

/** A plugin package found by its package.json alone: nothing of it is imported yet. */
export interface PluginPackage {
  readonly name: string;
  readonly dir: string;
  /** Absolute path of its ESM entry point. */
  readonly entry: string;
  /** Why it cannot be loaded (broken package.json, no entry point), reported only if it is needed. */
  readonly problem?: string;
}

interface PackageJson {
  name?: unknown;
  keywords?: unknown;
  main?: unknown;
  exports?: unknown;
}

type Read = { pkg: PackageJson } | { problem: string } | undefined;

function readPackageJson(dir: string): Read {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return undefined;
  try {
    const text = readFileSync(file, "utf8");
    if (text.length > MAX_PACKAGE_JSON_BYTES) return { problem: "package.json is larger than 1 MiB" };
    const pkg = JSON.parse(text) as unknown;
    return pkg !== null && typeof pkg === "object" ? { pkg: pkg as PackageJson } : { problem: "package.json is not an object" };
  } catch (cause) {
    return { problem: `package.json cannot be read: ${(cause as Error).message.split("\n")[0]}` };
  }
}

function entryOf(dir: string, pkg: PackageJson): string | undefined {
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
  return typeof entry === "string" ? join(dir, entry) : undefined;
}

function describePackage(dir: string, read: Exclude<Read, undefined>, fallbackName: string): PluginPackage {
  if ("problem" in read) return { name: fallbackName, dir, entry: "", problem: read.problem };
  const name = typeof read.pkg.name === "string" ? read.pkg.name : fallbackName;
  const entry = entryOf(dir, read.pkg);
  return entry === undefined ? { name, dir, entry: "", problem: "package.json names no entry point (exports['.'].import or main)" } : { name, dir, entry };
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

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return []; // unreadable or vanished: nothing to discover there
  }
}

/**
 * Package directories worth a look in one node_modules: everything under
 * `@handoff/`, and third-party plugins named `handoff-arch-*` or
 * `@scope/handoff-arch-*` (the naming convention, as eslint-plugin-* is).
 */
function candidateDirs(nm: string): string[] {
  const out: string[] = [];
  for (const entry of list(nm)) {
    if (entry === "@handoff") {
      for (const name of list(join(nm, entry))) out.push(join(nm, entry, name));
    } else if (entry.startsWith("handoff-arch-")) {
      out.push(join(nm, entry));
    } else if (entry.startsWith("@")) {
      for (const name of list(join(nm, entry))) if (name.startsWith("handoff-arch-")) out.push(join(nm, entry, name));
    }
  }
  return out;
}

/**
 * Installed architecture packages, nearest first, found by reading package.json
 * files only. A `handoff-arch-*` package whose package.json is broken is still
 * listed (with its problem) so a command that needs it can say why; an
 * `@handoff/*` package counts only when it declares the `handoff-arch` keyword.
 */
export function discoverPluginPackages(startDirs: readonly string[]): PluginPackage[] {
  const seen = new Map<string, PluginPackage>();
  for (const start of startDirs) {
    for (const nm of nodeModulesChain(start)) {
      for (const dir of candidateDirs(nm)) {
        const read = readPackageJson(dir);
        if (read === undefined) continue;
        const fallback = dir.slice(nm.length + 1);
        const isArch = "pkg" in read ? Array.isArray(read.pkg.keywords) && read.pkg.keywords.includes(ARCH_KEYWORD) : fallback.includes("handoff-arch-");
        if (!isArch) continue; // resolved only for plugins: every command runs this walk
        const pkg = describePackage(safeRealpath(dir), read, fallback);
        if (!seen.has(pkg.name)) seen.set(pkg.name, pkg);
      }
    }
  }
  return [...seen.values()];
}

function safeRealpath(dir: string): string {
  try {
    return realpathSync.native(dir); // one realpath(3) call, not a walk of lstat calls in JS
  } catch {
    return dir;
  }
}

/** Directories of installed packages that declare the `handoff-arch` keyword, nearest first. */
export function findInstalledArchPackages(startDirs: readonly string[]): string[] {
  return discoverPluginPackages(startDirs)
    .filter((p) => p.problem === undefined)
    .map((p) => p.dir);
}

/** Resolve `--plugin NAME` (a package name or a path) to its package, or a typed error. */
export function resolvePluginPackage(spec: string, cwd: string): PluginPackage {
  const dirs = spec.startsWith(".") || isAbsolute(spec) ? [resolve(cwd, spec)] : nodeModulesChain(cwd).map((nm) => join(nm, spec));
  for (const dir of dirs) {
    const read = readPackageJson(dir);
    if (read !== undefined) return describePackage(dir, read, spec);
  }
  throw new PluginError(spec, spec.startsWith(".") || isAbsolute(spec) ? `no package.json in ${dirs[0]}` : `package not found from ${cwd}`);
}

/** Resolve `--plugin NAME` (a package name or a path) to a package directory. */
export function resolvePluginDir(spec: string, cwd: string): string {
  return resolvePluginPackage(spec, cwd).dir;
}

/** The file URL to import a discovered package's entry point. */
export function entryUrl(pkg: PluginPackage): string {
  return pathToFileURL(pkg.entry).href;
}

/** Architecture packages compiled into the single-file CLI, by package name; each imported only when used. */
export type BuiltinArches = Readonly<Record<string, () => Promise<unknown>>>;

/** `String(anything)` that cannot itself throw (a thrown `null`, an object with a hostile toString). */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return thrown.message.split("\n")[0] || thrown.name;
    return `threw ${thrown === null ? "null" : typeof thrown === "string" ? JSON.stringify(thrown) : String(thrown)}`;
  } catch {
    return "threw a value that cannot be printed";
  }
}

/** Imports a module from disk by file URL. */
export type ImportFromDisk = (url: string) => Promise<unknown>;

const importFromDiskDefault: ImportFromDisk = (url) => import(url);

/** Import one plugin package (the bundled copy when there is one, else from disk) and check its `plugin` export. */
export async function importPlugin(pkg: PluginPackage, builtins?: BuiltinArches, importFromDisk: ImportFromDisk = importFromDiskDefault): Promise<ArchitecturePlugin> {
  if (pkg.problem !== undefined) throw new PluginError(pkg.name, pkg.problem);
  let mod: Record<string, unknown> | undefined;
  try {
    const builtin = builtins !== undefined && Object.hasOwn(builtins, pkg.name) ? builtins[pkg.name] : undefined;
    mod = (await (builtin ? builtin() : importFromDisk(entryUrl(pkg)))) as Record<string, unknown> | undefined;
  } catch (cause) {
    throw new PluginError(pkg.name, `cannot import: ${describeThrown(cause)}`, { cause });
  }
  if (!isArchitecturePlugin(mod?.plugin)) throw new PluginError(pkg.name, "does not export a `plugin` (name, provides, register)");
  return mod.plugin;
}

/** Import a plugin package by directory and check its `plugin` export. */
export async function loadPlugin(dir: string): Promise<ArchitecturePlugin> {
  return importPlugin(resolvePluginPackage(dir, dir));
}

/** Where the CLI itself is installed: discovery starts there and at the working directory. */
export function cliInstallDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}
