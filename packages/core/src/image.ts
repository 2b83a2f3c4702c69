import { checkedAdd64, hex } from "./bits.js";
import { ValidationError } from "./errors.js";
import type { MachineTag } from "./machine-tag.js";

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

/**
 * Where an image may go. `fixed`: its segments' `mem` are where it must be
 * loaded. `relocatable`: it runs at any `base` with the given alignment; the
 * segments and entry are laid out for `base` and move with it (arm64 Image at a
 * 2 MiB-aligned base, a position-independent zImage).
 */
export type ImagePlacement =
  | { readonly kind: "fixed" }
  | { readonly kind: "relocatable"; readonly base: bigint; readonly alignment: bigint };

/** A loaded-format-independent view of a kernel or other boot image. */
export interface Image {
  /** e.g. `ELF64`, `bzImage`, `arm64-Image`, `zImage`. */
  readonly format: string;
  /**
   * Architecture id (`x86_64`...) when the format says (an arch's own format)
   * or a registered architecture claims `machine` (see `resolveImageArchitecture`); undefined otherwise.
   */
  readonly arch: string | undefined;
  /** The machine the image's header names, raw (an ELF's e_machine), when it names one. */
  readonly machine?: MachineTag;
  readonly entry: EntryPoint;
  readonly segments: readonly Segment[];
  /** Absent means `fixed`. */
  readonly placement?: ImagePlacement;
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

/**
 * A relocatable image moved to `base`: every segment and the entry shift by the
 * same amount. Refuses fixed images, a misaligned base and any sum past 2^64.
 */
export function rebaseImage(image: Image, base: bigint): Image {
  const p = image.placement;
  if (!p || p.kind !== "relocatable") throw new ValidationError(`${image.format} image ${image.source.path}`, "is not relocatable; it loads where its headers say");
  if (base < 0n || base % p.alignment !== 0n) {
    throw new ValidationError(`${image.format} image ${image.source.path}`, `base ${hex(base)} is not ${hex(p.alignment)}-aligned`);
  }
  const move = (a: bigint, what: string) => checkedAdd64(a - p.base, base, `${image.source.path} ${what}`);
  return {
    ...image,
    placement: { ...p, base },
    entry: { ...image.entry, phys: move(image.entry.phys, "entry") },
    segments: image.segments.map((s, i) => {
      const mem = move(s.mem, `segment[${i}].mem`);
      checkedAdd64(mem, s.memsz, `${image.source.path} segment[${i}] end`);
      return { ...s, mem };
    }),
  };
}
