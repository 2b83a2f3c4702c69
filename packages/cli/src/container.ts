import { LINUX_BOOT_BUILDER, type ArchitecturePlugin, type LinuxBootBuilder } from "@handoff/core";
import { ArchitectureRegistry, QEMU_RUNNER, type QemuRunner } from "@handoff/core/compose";
import { container as rootContainer, type DependencyContainer } from "tsyringe";
import { cliInstallDir, findInstalledArchPackages, loadPlugin, resolvePluginDir } from "./discovery.js";

/** The installed architecture plugins, loaded: their container, the registry built from it and the plugins themselves. */
export interface LoadedArchitectures {
  readonly container: DependencyContainer;
  readonly registry: ArchitectureRegistry;
  readonly plugins: readonly ArchitecturePlugin[];
}

/**
 * The real backend of BootService: qemu-system-* through @handoff/qemu, loaded
 * on first use so commands that never boot do not load it. A plugin or a test
 * registering its own QEMU_RUNNER in a child container replaces it.
 */
const QEMU_PROCESS_RUNNER: QemuRunner = {
  probe: async (request) => (await import("@handoff/qemu")).bootAndProbe(request),
  stream: async (request) => (await import("@handoff/qemu")).bootAndStream(request),
};

/**
 * Register every installed arch package, and the ones named with --plugin, into
 * a fresh child container: the global container is never touched.
 */
export async function loadArchitectures(options: {
  readonly cwd: string;
  readonly extraPlugins?: readonly string[];
  /** Skip scanning node_modules (tests that want exactly the given plugins). */
  readonly discover?: boolean;
}): Promise<LoadedArchitectures> {
  const dirs = options.discover === false ? [] : findInstalledArchPackages([cliInstallDir(), options.cwd]);
  for (const spec of options.extraPlugins ?? []) dirs.push(resolvePluginDir(spec, options.cwd));
  const plugins: ArchitecturePlugin[] = [];
  const names = new Set<string>();
  for (const dir of dirs) {
    const plugin = await loadPlugin(dir);
    if (names.has(plugin.name)) continue;
    names.add(plugin.name);
    plugins.push(plugin);
  }
  const container = rootContainer.createChildContainer();
  container.register<QemuRunner>(QEMU_RUNNER, { useValue: QEMU_PROCESS_RUNNER });
  for (const plugin of plugins) plugin.register(container);
  return { container, registry: ArchitectureRegistry.fromContainer(container), plugins };
}

/** The arch's Linux boot builder, if it has one (plan works without: flat payloads, arches with no Linux boot; kexec says which part is missing). */
export function linuxBuilderOf(loaded: LoadedArchitectures, arch: string): LinuxBootBuilder | undefined {
  const builders = loaded.container.isRegistered(LINUX_BOOT_BUILDER) ? loaded.container.resolveAll<LinuxBootBuilder>(LINUX_BOOT_BUILDER) : [];
  return builders.find((b) => b.arch === arch);
}
