import { HandoffError, type HandoffErrorOptions } from "@handoff/core";

/** QEMU could not be started, exited early, or did not reach a wanted state in time. */
export class QemuError extends HandoffError {
  readonly code = "E_QEMU";
  constructor(
    /** The emulator binary, e.g. `qemu-system-aarch64`. */
    readonly binary: string,
    /** What was being done, e.g. `start`, `wait for pc=0x40200000`. */
    readonly action: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${binary}: ${action}: ${reason}`, options);
  }
}

/** A QMP command answered with an error object, or the QMP conversation broke. */
export class QmpError extends HandoffError {
  readonly code = "E_QMP";
  constructor(
    readonly command: string,
    /** QMP's error class (e.g. `GenericError`), or `protocol` for a broken conversation. */
    readonly errorClass: string,
    readonly description: string,
    options?: HandoffErrorOptions,
  ) {
    super(`QMP ${command}: ${errorClass}: ${description}`, options);
  }
}

/** `info registers` text that does not have the shape this arch prints. */
export class RegisterDumpError extends HandoffError {
  readonly code = "E_REGISTER_DUMP";
  constructor(
    readonly arch: string,
    /** The field that was missing or malformed, e.g. `RIP`, `CS`. */
    readonly field: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${arch} info registers: ${field}: ${reason}`, options);
  }
}
