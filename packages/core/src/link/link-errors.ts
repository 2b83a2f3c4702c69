import { HandoffError } from "../errors.js";

/** What a relocation error points at. */
export interface RelocationLocation {
  readonly file: string;
  /** The REL/RELA section, e.g. `.rela.text`. */
  readonly section: string;
  readonly index: number;
  /** r_offset within the target section. */
  readonly offset: bigint;
  readonly type: number;
  /** `R_X86_64_PC32`, or `type N` when unknown. */
  readonly typeName: string;
}

/** A relocation that cannot be applied: unknown type, bad index, undefined symbol, overflow... */
export class RelocationError extends HandoffError {
  readonly code = "E_RELOCATION";
  constructor(
    readonly location: RelocationLocation,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${location.file}: ${location.section}[${location.index}] ${location.typeName} at offset 0x${location.offset.toString(16)}: ${reason}`,
      options,
    );
  }
}

/** An object that cannot be linked as a whole (layout, external symbol settings). */
export class LinkError extends HandoffError {
  readonly code = "E_LINK";
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}
