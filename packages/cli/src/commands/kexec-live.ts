/**
 * `handoff kexec ...`: plan from the running machine, then load, start or
 * unload through a KexecBackend (the guarded syscall backend, or the recording
 * one for --dry-run). The planning is the arch's; this file only gathers the
 * machine's facts, checks what the kernel will refuse, and renders.
 */
import { createHash, randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { LINUX_KEXEC_SEED_BYTES, ValidationError, hex, type Architecture, type LinuxKexecPlan, type LinuxKexecRequest, type MemoryMap } from "@handoff/core";
import { KEXEC_FILE_ON_CRASH, KexecRefusedError, RecordingKexecBackend, type KexecBackend, type KexecFileLoadRequest, type RunningEfi, type Sha256Hasher } from "@handoff/core/kexec";
import { readFileBounded, readFirmwareMemmap, readIomemMap, readKexecStatus, readProcCmdline, readRunningBootParams, readRunningEfi, testVmSegmentFault, type KexecStatus } from "@handoff/node";
import { linuxBuilderOf, type LoadedArchitectures } from "../container.js";
import { UsageError } from "../cli/usage-error.js";
import { table, toJson } from "../output.js";
import { planCrashKexec } from "./kexec-crash.js";

/** Largest kernel or initrd `kexec load` reads (checked before reading). */
const MAX_KEXEC_FILE_BYTES = 512 * 1024 * 1024;

/** node:crypto's SHA-256 for the stub's segment digests: native, so a plan inside an emulated VM does not spend minutes hashing in JS. */
const NODE_SHA256: Sha256Hasher = {
  create() {
    const h = createHash("sha256");
    return { update: (bytes: Uint8Array) => h.update(bytes), digest: () => new Uint8Array(h.digest()) };
  },
};

/** Options shared by the kexec subcommands. */
export interface KexecCommonOptions {
  /** Read /proc and /sys under this directory (default `/`). */
  readonly root: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  /** The arch to plan for (default: the running machine's). */
  readonly arch?: string;
}

/** `kexec load` options. */
export interface KexecLoadOptions extends KexecCommonOptions {
  /** The kernel; absent only with `probe`. */
  readonly kernel?: string;
  /** Load the spin probe payload instead of a kernel. */
  readonly probe: boolean;
  readonly initrd?: string;
  readonly cmdline?: string;
  readonly reuseCmdline: boolean;
  readonly append?: string;
  readonly dtb?: string;
  readonly file: boolean;
  /** Leave the stub's SHA-256 check of the segments out. */
  readonly noVerify?: boolean;
  /** arm64: the stub checks with the MMU and caches off. */
  readonly verifyWithoutMmu?: boolean;
  /** Load a capture kernel for a panic (KEXEC_ON_CRASH / KEXEC_FILE_ON_CRASH) instead of the normal image. */
  readonly crash: boolean;
  readonly cwd: string;
}

/** The installed architecture this machine runs: the one that declares Node's `process.arch` as its own. */
export function runningArchitecture(loaded: LoadedArchitectures): Architecture | undefined {
  return loaded.registry.byMachine({ scheme: "node", value: process.arch });
}

/** The backend a command uses: the recording one for a dry run, else the guarded syscall backend (loaded only then). */
export async function kexecBackend(options: KexecCommonOptions, loaded: LoadedArchitectures): Promise<KexecBackend> {
  if (options.dryRun) return new RecordingKexecBackend();
  // The system calls are the running machine's, whatever arch the new kernel is (x86_64 loading x86_32).
  const running = runningArchitecture(loaded);
  if (running === undefined) throw new ValidationError("kexec", `no installed architecture runs on Node's process.arch '${process.arch}'`);
  const { SyscallKexecBackend } = await import("@handoff/node");
  return new SyscallKexecBackend(running);
}

/** The arch id of the running machine, or the one given. */
export function kexecArch(options: KexecCommonOptions, loaded: LoadedArchitectures): string {
  const arch = options.arch ?? runningArchitecture(loaded)?.id;
  if (arch === undefined) throw new ValidationError("kexec", `no installed architecture runs on Node's process.arch '${process.arch}'; give --arch`);
  return arch;
}

/** The command line the new kernel gets: --cmdline, or /proc/cmdline (--reuse-cmdline), plus --append. */
export function kexecCmdline(o: KexecLoadOptions): string {
  if (o.cmdline !== undefined && o.reuseCmdline) throw new ValidationError("--cmdline", "give --cmdline or --reuse-cmdline, not both");
  const base = o.reuseCmdline || (o.cmdline === undefined && o.append !== undefined) ? readProcCmdline(o.root) : (o.cmdline ?? "");
  return o.append === undefined ? base : `${base} ${o.append}`.trim();
}

/** Refusals the kernel would give anyway, said first and plainly. */
export function checkKexecAllowed(status: KexecStatus, operation: "kexec_load" | "kexec_file_load", real: boolean): void {
  if (status.loadDisabled) throw new KexecRefusedError(operation, "kexec is disabled on this machine (/proc/sys/kernel/kexec_load_disabled is 1 until reboot)");
  if (status.lockdown !== undefined && status.lockdown !== "none") {
    const why = operation === "kexec_load" ? "kexec_load is refused under lockdown; use --file with a kernel signed for this machine" : "kexec_file_load accepts only a kernel signed for this machine";
    throw new KexecRefusedError(operation, `the kernel is locked down (${status.lockdown}, /sys/kernel/security/lockdown): ${why}`);
  }
  if (real && process.getuid?.() !== 0) throw new KexecRefusedError(operation, "needs root (CAP_SYS_BOOT)");
}

/** The map segments go into: on x86 the firmware's e820 (/sys/firmware/memmap, as kexec-tools uses), else /proc/iomem. */
export function runningMemoryMap(arch: string, root: string): MemoryMap {
  return (arch.startsWith("x86") ? readFirmwareMemmap(root) : undefined) ?? readIomemMap(root);
}

/**
 * What a kexec_load plan takes from the running machine besides its memory
 * map: on x86 the running kernel's boot_params (its RSDP and console go to
 * the new kernel) and /sys/firmware/efi (its runtime map), and how the stub's
 * segment digests are computed.
 */
export function runningKexecInputs(
  arch: string,
  o: { readonly root: string; readonly noVerify?: boolean; readonly verifyWithoutMmu?: boolean },
): { runningBootParams?: Uint8Array; runningEfi?: RunningEfi; noVerify?: boolean; verifyWithoutMmu?: boolean; hasher: Sha256Hasher } {
  const bootParams = arch.startsWith("x86") ? readRunningBootParams(o.root) : undefined;
  // EFI facts only go with the boot_params whose efi_info says the running kernel booted through EFI (the arch decides).
  const efi = bootParams ? readRunningEfi(o.root) : undefined;
  return { ...(bootParams ? { runningBootParams: bootParams } : {}), ...(efi ? { runningEfi: efi } : {}), ...(o.noVerify ? { noVerify: true } : {}), ...(o.verifyWithoutMmu ? { verifyWithoutMmu: true } : {}), hasher: NODE_SHA256 };
}

/** Plan a kexec_load (or the --probe payload) through the arch's Linux boot builder. */
export function planLiveKexec(loaded: LoadedArchitectures, arch: string, o: KexecLoadOptions): LinuxKexecPlan {
  const builder = linuxBuilderOf(loaded, arch);
  if (o.probe) {
    if (builder?.kexecProbe === undefined) throw new ValidationError(`kexec load --probe on ${arch}`, "handoff has no kexec probe for this architecture yet");
    return builder.kexecProbe(runningMemoryMap(arch, o.root));
  }
  if (builder?.kexec === undefined) throw new ValidationError(`kexec load on ${arch}`, "handoff cannot plan kexec_load for this architecture yet; use --file where the kernel has kexec_file_load");
  return builder.kexec(kexecRequest(arch, o, runningArchitecture(loaded)?.id));
}

/** What a kexec_load plan (live or crash) is made from: the files read, the running machine's map and devicetree, fresh seeds. */
function kexecRequest(arch: string, o: KexecLoadOptions, running: string | undefined): LinuxKexecRequest {
  if (o.dtb !== undefined && arch.startsWith("x86")) throw new ValidationError("--dtb", "x86 kernels take no devicetree");
  const kernelPath = resolve(o.cwd, o.kernel!);
  const read = (path: string, what: string) => readFileBounded(path, { role: what, maxBytes: MAX_KEXEC_FILE_BYTES }).bytes;
  // Arm kernels get the running machine's devicetree (patched by the arch) unless --dtb names one.
  const dtb = o.dtb !== undefined ? resolve(o.cwd, o.dtb) : arch.startsWith("arm") ? join(o.root, "sys/firmware/fdt") : undefined;
  const crash = o.crash ? "capture " : "";
  return {
    kernel: read(kernelPath, `${crash}kernel`),
    kernelPath,
    ...(o.initrd !== undefined ? { initrd: read(resolve(o.cwd, o.initrd), `${crash}initrd`) } : {}),
    ...(dtb !== undefined ? { dtb: read(dtb, "DTB") } : {}),
    seed: new Uint8Array(randomBytes(LINUX_KEXEC_SEED_BYTES)),
    ...runningKexecInputs(arch, o),
    cmdline: kexecCmdline(o),
    memoryMap: runningMemoryMap(arch, o.root),
    ...(running !== undefined ? { runningArch: running } : {}),
  };
}

/** `handoff kexec load`: plan (or hand the files to kexec_file_load), then load or, with --dry-run, print. */
export async function kexecLoadCommand(loaded: LoadedArchitectures, o: KexecLoadOptions): Promise<string> {
  const arch = kexecArch(o, loaded);
  if ((o.kernel === undefined) === !o.probe) throw new UsageError("kexec load: give --kernel FILE or --probe (one of them)", "kexec load");
  if (o.probe && o.file) throw new UsageError("kexec load: --probe goes through kexec_load, not --file", "kexec load");
  if (o.probe && o.crash) throw new UsageError("kexec load: --probe is entered by kexec exec, not by a panic; drop --crash", "kexec load");
  const operation = o.file ? "kexec_file_load" : "kexec_load";
  checkKexecAllowed(readKexecStatus(o.root), operation, !o.dryRun);
  const backend = await kexecBackend(o, loaded);
  if (o.file) {
    if (o.dtb !== undefined) throw new ValidationError("--dtb", "kexec_file_load takes no devicetree argument");
    const request: KexecFileLoadRequest = {
      kernelPath: resolve(o.cwd, o.kernel!),
      ...(o.initrd !== undefined ? { initrdPath: resolve(o.cwd, o.initrd) } : {}),
      cmdline: kexecCmdline(o),
      // The kernel itself places the capture kernel in the crash region and adds elfcorehdr= (kexec_file crash support).
      flags: o.crash ? KEXEC_FILE_ON_CRASH : 0n,
    };
    await backend.kexecFileLoad(request);
    const what = `kexec_file_load${o.crash ? " (crash kernel)" : ""}`;
    return o.json ? toJson({ call: operation, dryRun: o.dryRun, ...request }) : `${o.dryRun ? "would call" : "loaded with"} ${what}: kernel ${request.kernelPath}, initrd ${request.initrdPath ?? "none"}, cmdline "${request.cmdline}"`;
  }
  const running = runningArchitecture(loaded)?.id;
  const plan = o.crash ? planCrashKexec(loaded, arch, o.root, () => kexecRequest(arch, o, running)) : planLiveKexec(loaded, arch, o);
  await backend.kexecLoad(o.dryRun ? plan : withTestVmFault(plan));
  return renderKexecPlan(arch, plan, o);
}

/** Byte of a segment a test VM flips ({@link testVmSegmentFault}): past its first page, inside every planned segment but the tiniest. */
const TEST_FLIP_OFFSET = 0x123;

/**
 * Inside a handoff test VM only: the plan with one byte of the named segment
 * flipped after its digest was taken, so the QEMU proof can watch the stub
 * refuse to enter. Anywhere else, and without the variable, the plan itself.
 */
function withTestVmFault(plan: LinuxKexecPlan): LinuxKexecPlan {
  const name = testVmSegmentFault();
  if (name === undefined) return plan;
  const at = plan.segments.findIndex((s) => s.name === name);
  if (at < 0 || plan.segments[at]!.bytes.length <= TEST_FLIP_OFFSET) throw new ValidationError("test VM fault", `no segment '${name}' of more than ${TEST_FLIP_OFFSET} bytes to corrupt`);
  const bytes = plan.segments[at]!.bytes.slice();
  bytes[TEST_FLIP_OFFSET]! ^= 1;
  return { ...plan, segments: plan.segments.map((s, i) => (i === at ? { ...s, bytes } : s)) };
}

function renderKexecPlan(arch: string, plan: LinuxKexecPlan, o: KexecLoadOptions): string {
  const segments = plan.segments.map((s) => ({ mem: s.mem, memsz: s.memsz, bufsz: BigInt(s.bytes.length), name: s.name ?? "" }));
  // --probe --json also prints the promised state, which a probe compares with the CPU after exec.
  const promised = o.probe ? { state: Object.fromEntries(plan.state.registers.entries().filter((e) => e.unknown === 0n).map((e) => [e.name, e.value])) } : {};
  if (o.json) return toJson({ call: "kexec_load", dryRun: o.dryRun, crash: o.crash, arch, entry: plan.entry, flags: plan.flags, segments, ...promised });
  return [
    `${o.dryRun ? "would call" : "loaded with"} kexec_load${o.crash ? " (crash kernel, run at a panic)" : ""}: ${arch}, entry ${hex(plan.entry)} (handoff's stub), flags ${hex(plan.flags)}, ${segments.length} segments`,
    table(
      ["#", "mem", "memsz", "bufsz", "what"],
      segments.map((s, i) => [String(i), hex(s.mem), hex(s.memsz), hex(s.bufsz), s.name]),
    ),
  ].join("\n");
}

/** `handoff kexec status`: what the running kernel has loaded and whether it would accept a load. */
export function kexecStatusCommand(o: KexecCommonOptions): string {
  const s = readKexecStatus(o.root);
  if (o.json) return toJson(s);
  const yesNo = (v: boolean | undefined) => (v === undefined ? "unknown (no such file)" : v ? "yes" : "no");
  return [
    `kexec image loaded: ${yesNo(s.loaded)}`,
    `crash image loaded: ${yesNo(s.crashLoaded)}`,
    `crash region: ${s.crashSize === undefined ? "unknown (no /sys/kernel/kexec_crash_size)" : s.crashSize === 0n ? "none (booted without crashkernel=)" : `${s.crashSize} bytes (${s.crashSize >> 20n} MiB)`}`,
    `kexec_load disabled: ${yesNo(s.loadDisabled)}`,
    `lockdown: ${s.lockdown ?? "not available"}`,
  ].join("\n");
}

/** `handoff kexec exec` / `unload` (`crash`: the crash image): checked against kexec_loaded first, so "nothing loaded" is said plainly. */
export async function kexecRunCommand(loaded: LoadedArchitectures, o: KexecCommonOptions, action: "exec" | "unload", file: boolean, crash = false, justLoaded = false): Promise<string> {
  const status = readKexecStatus(o.root);
  if (action === "exec" && status.loaded === false && !justLoaded) throw new KexecRefusedError("exec", "nothing is loaded (run 'handoff kexec load' first)");
  if (!o.dryRun && process.getuid?.() !== 0) throw new KexecRefusedError(action, "needs root (CAP_SYS_BOOT)");
  const backend = await kexecBackend(o, loaded);
  if (action === "exec") await backend.exec();
  else await backend.unload(file, crash);
  const what =
    action === "exec" ? "reboot(LINUX_REBOOT_CMD_KEXEC)" : file ? `kexec_file_load(KEXEC_FILE_UNLOAD${crash ? " | KEXEC_FILE_ON_CRASH" : ""})` : `kexec_load with no segments${crash ? " and KEXEC_ON_CRASH" : ""}`;
  return o.json ? toJson({ call: action, dryRun: o.dryRun, what }) : `${o.dryRun ? "would call" : "called"} ${what}`;
}
