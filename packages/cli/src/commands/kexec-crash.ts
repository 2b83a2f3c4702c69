/**
 * `handoff kexec load --crash`: the running machine's crash facts (crash
 * region, System RAM, note areas) gathered for the arch's crash planner. The
 * planning (placement inside the crash region, the ELF core header, the
 * capture kernel's memory map and command line) is the arch's.
 */
import { ValidationError, type LinuxKexecPlan, type LinuxKexecRequest } from "@handoff/core";
import { readCrashFacts } from "@handoff/node";
import { linuxBuilderOf, type LoadedArchitectures } from "../container.js";

/**
 * Plan a crash kexec_load through the arch's Linux boot builder. `request`
 * reads the files (kernel, initrd, Arm's devicetree) and is called after the
 * crash facts: "booted without crashkernel=" is the likelier mistake than a
 * bad kernel file.
 */
export function planCrashKexec(loaded: LoadedArchitectures, arch: string, root: string, request: () => LinuxKexecRequest): LinuxKexecPlan {
  const builder = linuxBuilderOf(loaded, arch);
  if (builder?.kexecCrash === undefined) throw new ValidationError(`kexec load --crash on ${arch}`, "handoff cannot plan a crash kexec_load for this architecture yet; use --file where the kernel has kexec_file_load");
  const facts = readCrashFacts(root);
  return builder.kexecCrash({ ...request(), crashRegion: facts.regions.main, crashRegions: facts.regions.all, systemRam: facts.systemRam, notes: facts.notes });
}
