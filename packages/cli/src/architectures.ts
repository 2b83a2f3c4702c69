import { PluginError, type ArchitecturePlugin } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { container as rootContainer } from "tsyringe";
import type { LoadedArchitectures } from "./container.js";
import { cliInstallDir, describeThrown, discoverPluginPackages, importPlugin, resolvePluginPackage, type BuiltinArches, type ImportFromDisk, type PluginPackage } from "./discovery.js";

export type { BuiltinArches, ImportFromDisk };

/** What to load: the arch a command needs (undefined: all of them), extra `--plugin`s, where to look. */
export interface ArchRequest {
  readonly cwd: string;
  readonly arch?: string;
  readonly extraPlugins?: readonly string[];
  /** The architectures bundled into the single-file CLI. */
  readonly builtins?: BuiltinArches;
  /** Imports a plugin from disk by file URL; default `import()` (the single file shares its modules first, and imports through its launcher). */
  readonly importFromDisk?: ImportFromDisk;
  /** Where a skipped broken plugin is reported when all arches are loaded (archs, inspect). */
  readonly warn?: (line: string) => void;
}

/** The arch id a package most likely provides, from its name alone: `@handoff/arm64`, `handoff-arch-riscv64`. */
function archIdOf(name: string): string {
  return name.replace(/^@[^/]+\//, "").replace(/^handoff-arch-/, "");
}

/**
 * The packages to consider: discovered ones (package.json only, nothing imported)
 * and bundled built-ins. A bundled CLI runs its built-in arches in place of
 * installed copies; when no `@handoff/*` arch is installed at all (the
 * single file alone, as in a kexec VM image), all built-ins are active, else
 * only the installed ones (installing only @handoff/arm64 lists only arm64).
 */
function candidates(request: ArchRequest): PluginPackage[] {
  const found = discoverPluginPackages([cliInstallDir(), request.cwd]);
  const builtins = request.builtins;
  if (builtins === undefined) return found;
  const installedBuiltins = found.filter((p) => Object.hasOwn(builtins, p.name));
  const active = installedBuiltins.length > 0 ? installedBuiltins.map((p) => p.name) : Object.keys(builtins);
  const bundled = active.map((name) => ({ name, dir: "(bundled)", entry: "" }));
  return [...bundled, ...found.filter((p) => !Object.hasOwn(builtins, p.name))];
}

/**
 * Load the architectures a command needs into a fresh child container: only the
 * package providing `request.arch` when its name says so (falling back to all
 * when none does), plus every `--plugin`. A broken plugin that was not asked
 * for is skipped with a warning; one that is needed fails with one line naming it.
 */
export async function loadArchitecturesFor(request: ArchRequest): Promise<LoadedArchitectures> {
  const all = candidates(request);
  const wanted = request.arch === undefined ? [] : all.filter((p) => archIdOf(p.name) === request.arch);
  const chosen = wanted.length > 0 ? wanted : all;
  const strict = wanted.length > 0;
  const plugins: ArchitecturePlugin[] = [];
  const add = (plugin: ArchitecturePlugin) => {
    if (!plugins.some((p) => p.name === plugin.name)) plugins.push(plugin);
  };
  for (const pkg of chosen) {
    try {
      add(registered(await importPlugin(pkg, request.builtins, request.importFromDisk)));
    } catch (error) {
      if (strict || !(error instanceof PluginError)) throw error;
      request.warn?.(`handoff: warning: skipped ${error.message}`);
    }
  }
  for (const spec of request.extraPlugins ?? []) add(registered(await importPlugin(resolvePluginPackage(spec, request.cwd), request.builtins, request.importFromDisk)));
  const container = rootContainer.createChildContainer();
  for (const plugin of plugins) plugin.register(container);
  return { container, registry: ArchitectureRegistry.fromContainer(container), plugins };
}

/** A plugin whose register() ran once into a scratch container: one that throws is refused before it can half-register. */
function registered(plugin: ArchitecturePlugin): ArchitecturePlugin {
  try {
    plugin.register(rootContainer.createChildContainer());
  } catch (cause) {
    throw new PluginError(plugin.name, `register() failed: ${describeThrown(cause)}`, { cause });
  }
  return plugin;
}
