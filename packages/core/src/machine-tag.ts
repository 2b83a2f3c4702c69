/**
 * The data of machine naming, apart from the functions over it (../machine.ts)
 * so that the contracts using it (`Architecture`, `Image`) import no code.
 */

/** What an architecture answers to in headers other than ELF's e_machine (its `Architecture.elfMachine`). */
export interface MachineNames {
  /** ELF's symbolic name of the e_machine value (the gABI's `EM_*`), for messages. */
  readonly elf?: string;
  /** U-Boot legacy uImage `ih_arch` (include/image.h `IH_ARCH_*`). */
  readonly uImage?: number;
  /** Values of a FIT image node's `arch` property that mean this architecture (U-Boot's arch names). */
  readonly fit?: readonly string[];
  /** PE/COFF `Machine` of the architecture's EFI images (`IMAGE_FILE_MACHINE_*`). */
  readonly pe?: number;
  /** Node's `process.arch` on this architecture. */
  readonly node?: string;
}

/** Linux's kexec system call numbers on one architecture; `kexecFileLoad` is absent where the kernel has none. */
export interface KexecSyscalls {
  readonly kexecLoad: number;
  readonly kexecFileLoad?: number;
}

/** A machine as one header names it, raw: which header, and the value in it. */
export type MachineTag =
  | { readonly scheme: "elf"; readonly value: number }
  | { readonly scheme: "uImage"; readonly value: number }
  | { readonly scheme: "fit"; readonly value: string }
  | { readonly scheme: "pe"; readonly value: number }
  | { readonly scheme: "node"; readonly value: string };
