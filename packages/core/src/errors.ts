/**
 * Typed errors. Every failure a user can cause is one of these: each names what
 * was wrong and where, so the CLI can print one line and exit non-zero.
 */

export interface HandoffErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error handoff throws on purpose. */
export abstract class HandoffError extends Error {
  /** Stable machine-readable code, e.g. `E_FORMAT`. */
  abstract readonly code: string;

  constructor(message: string, options?: HandoffErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A file (image, DTB, memory map, object) is malformed or unsupported. */
export class FormatError extends HandoffError {
  readonly code = "E_FORMAT";
  constructor(
    /** The file (or a label for an in-memory buffer). */
    readonly file: string,
    /** The format being read, e.g. `ELF64`, `bzImage`. */
    readonly format: string,
    /** The field that is wrong, e.g. `e_phoff` or `note[3].namesz`. */
    readonly field: string,
    /** Byte offset of the field in the file, if it has one. */
    readonly offset: number | bigint | undefined,
    /** What is wrong with it. */
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(
      `${file}: ${format} ${field}${offset === undefined ? "" : ` @0x${offset.toString(16)}`}: ${reason}`,
      options,
    );
  }
}

/** A register name that the architecture does not have. */
export class UnknownRegisterError extends HandoffError {
  readonly code = "E_REGISTER_UNKNOWN";
  constructor(
    readonly arch: string,
    readonly register: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${arch}: no register named '${register}'`, options);
  }
}

/** A value that does not fit the register (or argument) width it is written to. */
export class RegisterWidthError extends HandoffError {
  readonly code = "E_REGISTER_WIDTH";
  constructor(
    readonly arch: string,
    readonly register: string,
    readonly width: number,
    readonly value: bigint,
    options?: HandoffErrorOptions,
  ) {
    super(
      `${arch}: value ${formatValue(value)} does not fit ${width}-bit register '${register}'`,
      options,
    );
  }
}

/** Reading a register whose bits are architecturally UNKNOWN. */
export class UnknownRegisterValueError extends HandoffError {
  readonly code = "E_REGISTER_UNKNOWN_VALUE";
  constructor(
    readonly arch: string,
    readonly register: string,
    /** Bits (of the register as named) whose value is UNKNOWN. */
    readonly unknownMask: bigint,
    options?: HandoffErrorOptions,
  ) {
    super(
      `${arch}: register '${register}' has UNKNOWN bits (mask 0x${unknownMask.toString(16)})`,
      options,
    );
  }
}

/** A plugin could not be loaded or does not follow the plugin contract. */
export class PluginError extends HandoffError {
  readonly code = "E_PLUGIN";
  constructor(
    readonly plugin: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`plugin ${plugin}: ${reason}`, options);
  }
}

/** An architecture id that is not installed. */
export class UnknownArchitectureError extends HandoffError {
  readonly code = "E_ARCH_UNKNOWN";
  constructor(
    readonly arch: string,
    readonly installed: readonly string[],
    options?: HandoffErrorOptions,
  ) {
    super(
      `architecture '${arch}' is not installed (installed: ${installed.length ? installed.join(", ") : "none"})`,
      options,
    );
  }
}

/** A set of values that is inconsistent (segments overlapping, a range wrapping 2^64...). */
export class ValidationError extends HandoffError {
  readonly code = "E_INVALID";
  constructor(
    /** What was being validated, e.g. `segment[2]` or `memory map`. */
    readonly subject: string,
    readonly reason: string,
    options?: HandoffErrorOptions,
  ) {
    super(`${subject}: ${reason}`, options);
  }
}

function formatValue(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}
