/**
 * Whether an architecture can run an ELF file. Which architecture an e_machine
 * is, core does not say: each architecture declares its own `elfMachine` (see
 * ../machine.ts), so no table of machines lives here.
 */
import { FormatError } from "../errors.js";
import type { Architecture } from "../architecture.js";
import { elfMachineName } from "../machine.js";
import type { ElfHeader } from "./elf-header.js";

/** Refuse an ELF file that `arch` cannot run: other machine, or a byte order it does not support. */
export function assertElfRunnableBy(header: ElfHeader, arch: Architecture, file: string): void {
  const format = `ELF${header.elfClass}`;
  if (header.machine !== arch.elfMachine) {
    throw new FormatError(file, format, "e_machine", 18, `${elfMachineName(header.machine)} cannot run on ${arch.id} (which expects ${elfMachineName(arch.elfMachine, [arch])})`);
  }
  if (!arch.endianness.includes(header.endianness)) {
    throw new FormatError(file, format, "e_ident[EI_DATA]", 5, `${header.endianness}-endian images cannot run on ${arch.id}`);
  }
}
