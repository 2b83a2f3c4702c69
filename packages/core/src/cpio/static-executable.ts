import { ValidationError } from "../errors.js";
import { ElfFile } from "../elf/elf-file.js";
import { ET_EXEC, elfTypeName } from "../elf/elf-header.js";
import { architectureOfMachine, elfMachineName, type MachineIdentity } from "../machine.js";
import { PT_DYNAMIC, PT_INTERP } from "../elf/program-headers.js";

/**
 * Check that `bytes` is a static executable for one of `architectures` (the
 * installed ones; issue 15): an initramfs whose /init needs a dynamic loader
 * that is not in the archive, or runs on another CPU, boots to a kernel panic,
 * not a marker. Returns the architecture id.
 */
export function requireStaticExecutable(bytes: Uint8Array, file: string, architectures: readonly MachineIdentity[]): string {
  let elf: ElfFile;
  try {
    elf = ElfFile.parse({ path: file, bytes });
  } catch (cause) {
    throw new ValidationError(file, `is not an ELF executable: ${(cause as Error).message}`, { cause });
  }
  const arch = architectureOfMachine(architectures, { scheme: "elf", value: elf.header.machine })?.id;
  if (arch === undefined) throw new ValidationError(file, `is an executable for ${elfMachineName(elf.header.machine)}, not an architecture handoff knows (installed: ${architectures.map((a) => a.id).join(", ") || "none"})`);
  if (elf.header.type !== ET_EXEC) throw new ValidationError(file, `is ${elfTypeName(elf.header.type)}, not a static executable (ET_EXEC)`);
  if (elf.programHeaders.some((ph) => ph.type === PT_INTERP)) throw new ValidationError(file, "is dynamically linked (it has PT_INTERP): the initramfs has no loader or libraries for it; use a static busybox (busybox-static)");
  if (elf.programHeaders.some((ph) => ph.type === PT_DYNAMIC)) throw new ValidationError(file, "has a dynamic section (PT_DYNAMIC): not a static executable");
  return arch;
}
