/**
 * e_machine to handoff architecture id. Kept as a small table in core so that
 * `inspect` can name an image's architecture even when its plugin is not
 * installed; unknown machines map to undefined, which is not an error.
 */
import { FormatError } from "../errors.js";
import type { Architecture } from "../architecture.js";
import { EM_386, EM_AARCH64, EM_ARM, EM_X86_64, type ElfHeader } from "./elf-header.js";

const MACHINES: ReadonlyMap<number, { arch: string; name: string }> = new Map([
  [EM_386, { arch: "x86_32", name: "EM_386" }],
  [EM_X86_64, { arch: "x86_64", name: "EM_X86_64" }],
  [EM_ARM, { arch: "arm32", name: "EM_ARM" }],
  [EM_AARCH64, { arch: "arm64", name: "EM_AARCH64" }],
]);

/** Architecture id for an ELF e_machine, or undefined when handoff has none. */
export function archIdOfElfMachine(machine: number): string | undefined {
  return MACHINES.get(machine)?.arch;
}

/** `EM_X86_64`... or the number. */
export function elfMachineName(machine: number): string {
  return MACHINES.get(machine)?.name ?? `e_machine ${machine}`;
}

/** Refuse an ELF file that `arch` cannot run: other machine, or a byte order it does not support. */
export function assertElfRunnableBy(header: ElfHeader, arch: Architecture, file: string): void {
  const format = `ELF${header.elfClass}`;
  if (header.machine !== arch.elfMachine) {
    throw new FormatError(file, format, "e_machine", 18, `${elfMachineName(header.machine)} cannot run on ${arch.id} (which expects ${elfMachineName(arch.elfMachine)})`);
  }
  if (!arch.endianness.includes(header.endianness)) {
    throw new FormatError(file, format, "e_ident[EI_DATA]", 5, `${header.endianness}-endian images cannot run on ${arch.id}`);
  }
}
