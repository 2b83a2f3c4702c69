import type { DependencyContainer } from "tsyringe";
import { ARCHITECTURE, type Architecture } from "../architecture.js";
import { PluginError, UnknownArchitectureError } from "../errors.js";
import { architectureOfMachine, type MachineTag } from "../machine.js";
import { composeArchitecture, contributionsOf, resolveAllOptional } from "./views.js";

/** The architectures registered in a container, by id. */
export class ArchitectureRegistry {
  private readonly byId: ReadonlyMap<string, Architecture>;

  constructor(architectures: readonly Architecture[]) {
    const byId = new Map<string, Architecture>();
    for (const arch of architectures) {
      if (byId.has(arch.id)) throw new PluginError(arch.id, `architecture '${arch.id}' is registered twice`);
      byId.set(arch.id, arch);
    }
    this.byId = byId;
  }

  /**
   * Every `ARCHITECTURE` registration of a container (none is fine), composed
   * with what plugins contributed for it (formats, protocols...).
   */
  static fromContainer(container: DependencyContainer): ArchitectureRegistry {
    const contributions = contributionsOf(container);
    return new ArchitectureRegistry(resolveAllOptional<Architecture>(container, ARCHITECTURE).map((a) => composeArchitecture(a, contributions)));
  }

  /** Registered architecture ids, sorted. */
  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  /** Every registered architecture, in id order. */
  all(): Architecture[] {
    return this.ids().map((id) => this.byId.get(id)!);
  }

  /** The architecture with id `id`; throws UnknownArchitectureError listing the known ids when there is none. */
  get(id: string): Architecture {
    const arch = this.byId.get(id);
    if (!arch) throw new UnknownArchitectureError(id, this.ids());
    return arch;
  }

  /** The architecture whose ELF e_machine is `machine`, if installed. */
  byElfMachine(machine: number): Architecture | undefined {
    return this.byMachine({ scheme: "elf", value: machine });
  }

  /** The installed architecture that declares the machine `tag` names (ELF e_machine, uImage ih_arch, FIT arch, PE Machine, Node's process.arch), if any. */
  byMachine(tag: MachineTag): Architecture | undefined {
    return architectureOfMachine(this.all(), tag);
  }
}
