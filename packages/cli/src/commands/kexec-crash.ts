/**
 * `handoff kexec load --crash`: the running machine's crash facts (crash
 * region, System RAM, note areas) gathered for the arch's crash planner. The
 * planning (placement inside the crash region, the ELF core header, the
 * capture kernel's memory map and command line) is the arch's.
 */
import { resolve } from "node:path";
import { ValidationError, type LinuxKexecPlan, type LinuxKexecRequest, type MemoryMap } from "@handoff/core";
import { readCrashFacts, readFileBounded } from "@handoff/node";
import { linuxBuilderOf, type LoadedArchitectures } from "../container.js";

/** What the crash planner takes from `kexec load`'s options, the command line and the running machine's map already worked out. */
export interface CrashLoadInputs {
  readonly root: string;
  readonly cwd: string;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly dtb?: string;
  /** The command line as the user asked for it (the arch adds elfcorehdr=). */
  readonly cmdline: string;
  /** The running machine's memory map (x86: its e820). */
  readonly memoryMap: MemoryMap;
  /** Largest kernel or initrd read. */
  readonly maxFileBytes: number;
  /** The running kernel's boot_params (x86) and the stub's segment check settings. */
  readonly running?: Pick<LinuxKexecRequest, "runningBootParams" | "noVerify" | "hasher">;
}

/** Plan a crash kexec_load through the arch's Linux boot builder. */
export function planCrashKexec(loaded: LoadedArchitectures, arch: string, o: CrashLoadInputs): LinuxKexecPlan {
  const builder = linuxBuilderOf(loaded, arch);
  if (builder?.kexecCrash === undefined) throw new ValidationError(`kexec load --crash on ${arch}`, "handoff cannot plan a crash kexec_load for this architecture yet; use --file where the kernel has kexec_file_load");
  if (o.dtb !== undefined && arch.startsWith("x86")) throw new ValidationError("--dtb", "x86 kernels take no devicetree");
  // The crash facts first: "booted without crashkernel=" is the likelier mistake than a bad kernel file.
  const facts = readCrashFacts(o.root);
  const read = (path: string, what: string) => readFileBounded(resolve(o.cwd, path), { role: what, maxBytes: o.maxFileBytes }).bytes;
  return builder.kexecCrash({
    kernel: read(o.kernel!, "capture kernel"),
    kernelPath: resolve(o.cwd, o.kernel!),
    ...(o.initrd !== undefined ? { initrd: read(o.initrd, "capture initrd") } : {}),
    ...(o.dtb !== undefined ? { dtb: read(o.dtb, "DTB") } : {}),
    cmdline: o.cmdline,
    memoryMap: o.memoryMap,
    ...o.running,
    crashRegion: facts.regions.main,
    crashRegions: facts.regions.all,
    systemRam: facts.systemRam,
    notes: facts.notes,
  });
}
