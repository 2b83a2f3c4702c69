/**
 * Machines as headers name them. Core's readers (ELF, U-Boot containers, PE)
 * report the raw value a header holds; which architecture that is, each
 * architecture says for itself in its declaration ({@link MachineNames}), and
 * the functions here resolve a value by asking the architectures at hand. So
 * `inspect` names the arch of an image whose plugin is installed and reports
 * the raw value (`e_machine 243`) of one whose plugin is not.
 */
import type { Architecture } from "./architecture.js";
import type { Image } from "./image.js";
import type { MachineTag } from "./machine-tag.js";

export type { KexecSyscalls, MachineNames, MachineTag } from "./machine-tag.js";

/** The fields of an architecture {@link architectureOfMachine} reads. */
export type MachineIdentity = Pick<Architecture, "id" | "elfMachine" | "machineNames">;

/** Whether `arch` declares the machine `tag` names. */
export function namesMachine(arch: MachineIdentity, tag: MachineTag): boolean {
  const names = arch.machineNames;
  switch (tag.scheme) {
    case "elf":
      return arch.elfMachine === tag.value;
    case "uImage":
      return names?.uImage === tag.value;
    case "fit":
      return names?.fit?.includes(tag.value) ?? false;
    case "pe":
      return names?.pe === tag.value;
    case "node":
      return names?.node === tag.value;
  }
}

/** The first of `architectures` that declares the machine `tag` names, if any. */
export function architectureOfMachine<A extends MachineIdentity>(architectures: readonly A[], tag: MachineTag): A | undefined {
  return architectures.find((a) => namesMachine(a, tag));
}

/** `tag` as a person reads it: `e_machine 62`, `ih_arch 22`, `FIT arch 'arm64'`, `PE machine 0xaa64`, `process.arch 'x64'`. */
export function describeMachineTag(tag: MachineTag): string {
  switch (tag.scheme) {
    case "elf":
      return `e_machine ${tag.value}`;
    case "uImage":
      return `ih_arch ${tag.value}`;
    case "fit":
      return `FIT arch '${tag.value}'`;
    case "pe":
      return `PE machine 0x${tag.value.toString(16)}`;
    case "node":
      return `process.arch '${tag.value}'`;
  }
}

/** ELF's e_machine `machine` by name: the symbolic name one of `architectures` declares, with the number, or the number alone. */
export function elfMachineName(machine: number, architectures: readonly MachineIdentity[] = []): string {
  const name = architectureOfMachine(architectures, { scheme: "elf", value: machine })?.machineNames?.elf;
  return name === undefined ? `e_machine ${machine}` : `${name} (e_machine ${machine})`;
}

/**
 * `image` with `arch` resolved: kept when its format named one, else the
 * architecture among `architectures` that its own machine tag names, else the
 * one the innermost of its containers' tags (`outer`, outermost first) names;
 * left undefined when none does.
 */
export function resolveImageArchitecture(image: Image, architectures: readonly MachineIdentity[], outer: readonly (MachineTag | undefined)[] = []): Image {
  if (image.arch !== undefined) return image;
  for (const tag of [image.machine, ...[...outer].reverse()]) {
    const found = tag === undefined ? undefined : architectureOfMachine(architectures, tag);
    if (found) return { ...image, arch: found.id };
  }
  return image;
}

/**
 * Why `image` cannot be for `arch` (its format or its machine tag names
 * another), or undefined when it can or says nothing.
 */
export function imageArchitectureMismatch(image: Image, arch: MachineIdentity): string | undefined {
  if (image.arch !== undefined) return image.arch === arch.id ? undefined : `is a ${image.arch} image, not ${arch.id}`;
  if (image.machine === undefined || namesMachine(arch, image.machine)) return undefined;
  return `is an image for ${describeMachineTag(image.machine)}, not ${arch.id} (${describeMachineTag({ scheme: "elf", value: arch.elfMachine })})`;
}
