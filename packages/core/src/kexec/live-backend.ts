import { alignUp, hex, isAligned } from "../bits.js";
import { HandoffError, ValidationError, type HandoffErrorOptions } from "../errors.js";

/**
 * The live side of kexec: what a backend must do to load a plan into the
 * running kernel and start it. The real backend (over an FFI library) lives
 * in `@handoff/node`; the recording one here serves unit tests and `--dry-run`.
 */

/** One segment for `kexec_load(2)`: its bytes (bufsz = bytes.length) and where they go. */
export interface KexecLoadSegment {
  readonly bytes: Uint8Array;
  readonly mem: bigint;
  readonly memsz: bigint;
  readonly name?: string;
}

/** The page size kexec_load's segment rules are checked against (4 KiB: every kernel handoff plans for). */
const KEXEC_PAGE = 0x1000n;

/**
 * One kexec_load segment: `bytes` at `mem`, its memory size (`memsz`, at
 * least the bytes) rounded up to whole pages, as kernel/kexec_core.c
 * sanity_check_segment_list demands of both; a destination that is not
 * page-aligned is refused here rather than by the kernel's EADDRNOTAVAIL.
 */
export function kexecLoadSegment(bytes: Uint8Array, mem: bigint, name: string, memsz = BigInt(bytes.length)): KexecLoadSegment {
  if (!isAligned(mem, KEXEC_PAGE)) throw new ValidationError(`kexec segment ${name}`, `${hex(mem)} is not page-aligned`);
  return { bytes, mem, memsz: alignUp(memsz, KEXEC_PAGE), name };
}

/** `kexec_load(entry, nr_segments, segments, flags)`. */
export interface KexecLoadRequest {
  readonly entry: bigint;
  readonly segments: readonly KexecLoadSegment[];
  readonly flags: bigint;
}

/** `kexec_file_load(kernel_fd, initrd_fd, cmdline_len, cmdline, flags)`: the kernel parses and places the files itself. */
export interface KexecFileLoadRequest {
  readonly kernelPath: string;
  readonly initrdPath?: string;
  readonly cmdline: string;
  readonly flags: bigint;
}

/** Loads into the running kernel and starts what is loaded. */
export interface KexecBackend {
  /** `real` (syscalls) or `recording`. */
  readonly kind: string;
  /** `kexec_load(entry, nr_segments, segments, flags)`: handoff's own segments and entry. */
  kexecLoad(request: KexecLoadRequest): Promise<void>;
  /** `kexec_file_load(kernel_fd, initrd_fd, cmdline, flags)`: the kernel parses and places the image itself. */
  kexecFileLoad(request: KexecFileLoadRequest): Promise<void>;
  /** Unloads the loaded image (kexec_load with no segments; kexec_file_load with KEXEC_FILE_UNLOAD), or with `crash` the crash image. */
  unload(file: boolean, crash?: boolean): Promise<void>;
  /** `reboot(LINUX_REBOOT_CMD_KEXEC)`: does not return when it works. */
  exec(): Promise<void>;
}

/* Linux include/uapi/linux/kexec.h: kexec_file_load flags. */
/** KEXEC_FILE_UNLOAD: unload the image loaded by kexec_file_load. */
export const KEXEC_FILE_UNLOAD = 0x1n;
/** KEXEC_FILE_ON_CRASH: load the crash kernel. */
export const KEXEC_FILE_ON_CRASH = 0x2n;
/** KEXEC_FILE_NO_INITRAMFS: no initrd fd is passed. */
export const KEXEC_FILE_NO_INITRAMFS = 0x4n;
/** include/uapi/linux/reboot.h LINUX_REBOOT_CMD_KEXEC ("EXEC" in ASCII). */
export const LINUX_REBOOT_CMD_KEXEC = 0x4558_4543;

/** One call a {@link RecordingKexecBackend} saw. */
export type RecordedKexecCall =
  | { readonly call: "kexec_load"; readonly request: KexecLoadRequest }
  | { readonly call: "kexec_file_load"; readonly request: KexecFileLoadRequest }
  | { readonly call: "unload"; readonly file: boolean; readonly crash: boolean }
  | { readonly call: "exec" };

/** A backend that only records what it was asked to do: unit tests and `--dry-run`. */
export class RecordingKexecBackend implements KexecBackend {
  readonly kind = "recording";
  readonly calls: RecordedKexecCall[] = [];
  /** Records a `kexec_load`. */
  async kexecLoad(request: KexecLoadRequest): Promise<void> {
    this.calls.push({ call: "kexec_load", request });
  }
  /** Records a `kexec_file_load`. */
  async kexecFileLoad(request: KexecFileLoadRequest): Promise<void> {
    this.calls.push({ call: "kexec_file_load", request });
  }
  async unload(file: boolean, crash = false): Promise<void> {
    this.calls.push({ call: "unload", file, crash });
  }
  async exec(): Promise<void> {
    this.calls.push({ call: "exec" });
  }
}

/** The running machine or kernel refuses kexec (not root, disabled, lockdown, no syscall, nothing loaded, not a test VM). */
export class KexecRefusedError extends HandoffError {
  readonly code = "E_KEXEC";
  constructor(
    /** The operation refused: `kexec_load`, `kexec_file_load`, `exec`, `guard`... */
    readonly operation: string,
    /** Why, in words a user can act on. */
    readonly reason: string,
    /** errno from the kernel, when a syscall failed. */
    readonly errno?: number,
    options?: HandoffErrorOptions,
  ) {
    super(`${operation}: ${reason}`, options);
  }
}
