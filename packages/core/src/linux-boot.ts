import { ValidationError } from "./errors.js";
import { hex } from "./bits.js";
import type { HandoffArtefact } from "./handoff-artefact.js";
import type { HandoffState } from "./handoff-state.js";
import type { CrashNoteArea } from "./kexec/crash-header.js";
import type { KexecLoadSegment } from "./kexec/live-backend.js";
import type { RunningEfi } from "./kexec/running-efi.js";
import type { Sha256Hasher } from "./kexec/verify-table.js";
import type { AddressRange, MemoryMap } from "./memory-map.js";

/** A real kernel to boot with its initrd and command line. */
export interface LinuxBootRequest {
  /** `linux` (the arch's native boot protocol) or another the builder lists (x86: `pvh`). */
  readonly protocol: string;
  /** The kernel file as the user has it (bzImage, arm64 Image, zImage). */
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  readonly initrd?: Uint8Array;
  /** The exact command line the kernel must report. */
  readonly cmdline: string;
  /** The emulated machine's own devicetree (`-machine dumpdtb=`), for arches that hand one over. */
  readonly machineDtb?: Uint8Array;
  /** `el1`/`el2` (arm64), `svc`/`hyp` (arm32). */
  readonly entryMode?: string;
  /** Leave the stub's segment check out (an empty region table): `--no-verify`. */
  readonly noVerify?: boolean;
  /** RAM of the emulated machine in bytes (`--memory`); default the builder's machine (512 MiB). */
  readonly memory?: bigint;
}

/** QEMU settings a Linux artefact's addresses assume. */
export interface LinuxMachine {
  readonly machine?: string;
  readonly memory: string;
  /** RAM the plan may use: [base, base + size). */
  readonly ramBase: bigint;
  readonly ramSize: bigint;
}

const MIB = 1n << 20n;

/**
 * `machine` with `memory` bytes of RAM (unchanged when undefined): the size
 * QEMU gets as `-m NM`, so it must be a whole number of MiB (QEMU's `-m`
 * rounds other sizes, and the plan must describe the RAM QEMU really has).
 */
export function machineWithMemory(machine: LinuxMachine, memory: bigint | undefined): LinuxMachine {
  if (memory === undefined) return machine;
  if (memory <= 0n || memory % MIB !== 0n) throw new ValidationError("memory size", `${hex(memory)} bytes is not a positive whole number of MiB (QEMU -m)`);
  return { ...machine, memory: `${memory / MIB}M`, ramSize: memory };
}

/**
 * Builds artefacts that boot a real Linux kernel through handoff's stub
 * (registered by arch plugins under {@link LINUX_BOOT_BUILDER}).
 */
export interface LinuxBootBuilder {
  readonly arch: string;
  /** Protocols accepted; the first is the default. */
  readonly protocols: readonly string[];
  /** Whether `build` needs the machine's devicetree for `protocol`. */
  needsMachineDtb(protocol: string): boolean;
  /** The machine the plan is for, with `memory` bytes of RAM when given (the DTB must be dumped from the same one). */
  machine(protocol: string, entryMode?: string, memory?: bigint): LinuxMachine;
  /** Builds the Linux boot artefact for `request`. */
  build(request: LinuxBootRequest): HandoffArtefact;
  /** Plans a live `kexec_load` of a Linux kernel on the running machine, where the arch can. */
  kexec?(request: LinuxKexecRequest): LinuxKexecPlan;
  /** Plans `kexec load --probe`: the spin payload entered in the state a kernel gets, for a register-by-register check after a real exec. */
  kexecProbe?(memoryMap: MemoryMap): LinuxKexecPlan;
  /** Plans a crash (kdump) `kexec_load`: every segment inside the crash region, the ELF core header among them, KEXEC_ON_CRASH set. */
  kexecCrash?(request: LinuxCrashKexecRequest): LinuxKexecPlan;
}

/**
 * A capture kernel for `kexec load --crash`, with what the crashed kernel's
 * dump needs: `memoryMap` is the running machine's (x86: its e820), the
 * capture kernel's own view is cut from it by the arch.
 */
export interface LinuxCrashKexecRequest extends LinuxKexecRequest {
  /** crashk_res: where every segment goes (the kernel refuses a crash segment outside it). */
  readonly crashRegion: AddressRange;
  /** Every crash region (crashk_res and crashk_low_res): left out of the dump, RAM for the capture kernel. */
  readonly crashRegions: readonly AddressRange[];
  /** The running kernel's System RAM (/proc/iomem): the dump covers it, crash regions taken out. */
  readonly systemRam: readonly AddressRange[];
  /** Note areas for the ELF core header: vmcoreinfo, then each CPU's crash_notes. */
  readonly notes: readonly CrashNoteArea[];
}

/** Random bytes a kexec loader draws for {@link LinuxKexecRequest.seed}: 64 for Arm's /chosen rng-seed, 8 for kaslr-seed. */
export const LINUX_KEXEC_SEED_BYTES = 72;

/** A kernel to kexec on the running machine, with the boot data read from it. */
export interface LinuxKexecRequest {
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  readonly initrd?: Uint8Array;
  readonly cmdline: string;
  /** Where segments may go and what the new kernel is told about memory (x86: the firmware map, e820). */
  readonly memoryMap: MemoryMap;
  /** The running kernel's devicetree (Arm; `/sys/firmware/fdt`), or the user's `--dtb`. */
  readonly dtb?: Uint8Array;
  /** Random bytes for the new kernel (Arm: /chosen rng-seed, then kaslr-seed), drawn by the caller: core has no entropy source. */
  readonly seed?: Uint8Array;
  /** Leave the stub's SHA-256 check of the segments out (`--no-verify`). */
  readonly noVerify?: boolean;
  /** arm64: check with the MMU and caches off instead of over the stub's identity tables (`--verify-without-mmu`). */
  readonly verifyWithoutMmu?: boolean;
  /** The SHA-256 the segment digests are computed with (default: core's JS one). */
  readonly hasher?: Sha256Hasher;
  /** The running kernel's arch when it differs from the new kernel's (x86_64 loading an x86_32 kernel): it fixes how purgatory is entered. */
  readonly runningArch?: string;
  /** x86: the running kernel's boot_params (`/sys/kernel/boot_params/data`); its firmware facts (RSDP, console) go to the new kernel. */
  readonly runningBootParams?: Uint8Array;
  /** x86: what the running kernel exposes under /sys/firmware/efi (absent: no EFI, the new kernel boots as with kexec-tools' `--noefi`). */
  readonly runningEfi?: RunningEfi;
}

/** What `kexec_load` gets: the purgatory entry, the segments, the flags, and the state the stub promises at the kernel. */
export interface LinuxKexecPlan {
  readonly entry: bigint;
  readonly segments: readonly KexecLoadSegment[];
  readonly flags: bigint;
  readonly state: HandoffState;
}

/** Token under which arch plugins register their {@link LinuxBootBuilder}. */
export const LINUX_BOOT_BUILDER = Symbol.for("@handoff/core/LinuxBootBuilder");
