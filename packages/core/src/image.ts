/** Where a segment's bytes come from. File ranges are referenced, never copied. */
export type SegmentData =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "file"; readonly path: string; readonly offset: number; readonly length: number }
  | { readonly kind: "zero" };

/** What a segment is for in the hand-off. */
export type SegmentRole =
  | "kernel"
  | "setup"
  | "initrd"
  | "dtb"
  | "cmdline"
  | "boot-info"
  | "page-tables"
  | "stub"
  | "purgatory"
  | "indirection-list"
  | "other";

/**
 * One piece of memory to fill: the kexec `{buf, bufsz, mem, memsz}` shape.
 * `bufsz` bytes come from `data`; the rest up to `memsz` is zero.
 */
export interface Segment {
  readonly data: SegmentData;
  readonly bufsz: bigint;
  /** Physical destination. */
  readonly mem: bigint;
  readonly memsz: bigint;
  readonly role: SegmentRole;
  /** Virtual address the image links this segment at, when it differs from `mem`. */
  readonly vaddr?: bigint;
  /** Short human label, e.g. `PT_LOAD[1]`. */
  readonly name?: string;
}

/** An entry point: physical (where the CPU jumps with paging off) and, if linked elsewhere, virtual. */
export interface EntryPoint {
  readonly phys: bigint;
  readonly virt?: bigint;
}

/** A loaded-format-independent view of a kernel or other boot image. */
export interface Image {
  /** e.g. `ELF64`, `bzImage`, `arm64-Image`, `zImage`. */
  readonly format: string;
  /** Architecture id (`x86_64`...) when the format says; undefined when it does not. */
  readonly arch: string | undefined;
  readonly entry: EntryPoint;
  readonly segments: readonly Segment[];
  /** Format-specific facts (header fields, notes), JSON-friendly apart from bigints. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly source: { readonly path: string; readonly size: number };
}

/** Bytes of a segment's buffer, reading a file range only when asked. */
export function segmentBufferLength(segment: Segment): bigint {
  const d = segment.data;
  if (d.kind === "bytes") return BigInt(d.bytes.length);
  if (d.kind === "file") return BigInt(d.length);
  return 0n;
}
