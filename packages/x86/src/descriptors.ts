import { ValidationError, fitsUnsigned, type ArtefactRequest } from "@handoff/core";

/**
 * Segment descriptors (Intel SDM Vol. 3A §3.4.5 "Segment Descriptors",
 * §8.2.2 "TSS Descriptor", §8.2.3 "TSS Descriptor in 64-bit Mode").
 * `attr` is descriptor bits 40..55 as a 16-bit number: type (40..43), S (44),
 * DPL (45..46), P (47), limit 19:16 (48..51), AVL (52), L (53), D/B (54), G (55)
 * — the packing QEMU's `info registers` prints (shifted) and the x86 register
 * model's `*_attr` registers hold.
 */
export interface SegmentDescriptor {
  readonly base: bigint;
  /** Limit as encoded (20 bits; in 4 KiB units when G is set). */
  readonly rawLimit: number;
  /** Bits 40..55 without the limit nibble (which comes from rawLimit). */
  readonly flags: number;
}

/** Access/flag bits (descriptor bits 40..55, limit nibble zero). */
export const DESC = {
  /** Code, execute/read, accessed (type 0xb), S, P; G and D (32-bit). Accessed is pre-set so loading it does not write the GDT. */
  CODE32: 0xc09b,
  /** Code, execute/read, accessed, S, P; G and L (64-bit code, D clear). */
  CODE64: 0xa09b,
  /** Data, read/write, accessed (type 0x3), S, P, G, B (32-bit). */
  DATA32: 0xc093,
  /** Available 32-bit TSS (type 9), P; byte granular. `ltr` marks it busy (type 0xb). */
  TSS32_AVAILABLE: 0x0089,
  /** Available 64-bit TSS (type 9 in IA-32e mode), P; 16-byte descriptor. */
  TSS64_AVAILABLE: 0x0089,
  /** TSS busy bit (type bit 1). */
  TSS_BUSY: 0x0002,
} as const;

/** Flat 4 GiB segment (base 0, limit 0xfffff pages). */
export function flatSegment(flags: number): SegmentDescriptor {
  return { base: 0n, rawLimit: 0xfffff, flags };
}

/** `*_attr` as the CPU caches it: bits 40..55 including the limit nibble. */
export function descriptorAttr(d: SegmentDescriptor): bigint {
  return BigInt((d.flags & 0xf0ff) | (((d.rawLimit >> 16) & 0xf) << 8));
}

/** Byte limit as the CPU caches it (scaled by 4 KiB when G is set). */
export function descriptorLimit(d: SegmentDescriptor): bigint {
  return d.flags & 0x8000 ? (BigInt(d.rawLimit) << 12n) | 0xfffn : BigInt(d.rawLimit);
}

/** The 8 bytes of a code/data (or 32-bit system) descriptor. */
export function encodeDescriptor(d: SegmentDescriptor): Uint8Array {
  if (!fitsUnsigned(d.base, 32)) throw new ValidationError("segment descriptor", "base does not fit 32 bits");
  if (d.rawLimit < 0 || d.rawLimit > 0xfffff) throw new ValidationError("segment descriptor", "limit does not fit 20 bits");
  const base = Number(d.base);
  const lo = (d.rawLimit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | ((d.flags & 0xff) << 8) | (((d.rawLimit >>> 16) & 0xf) << 16) | (((d.flags >>> 12) & 0xf) << 20) | (base & 0xff000000);
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, lo >>> 0, true);
  v.setUint32(4, hi >>> 0, true);
  return out;
}

/** Selectors of the hand-off GDT. */
export interface GdtSelectors {
  readonly code: number;
  readonly data: number;
  readonly tss: number;
}

/** Linux boot.rst: __BOOT_CS 0x10, __BOOT_DS 0x18 (spec-exact default); TSS after them. */
export const BOOT_SELECTORS: GdtSelectors = { code: 0x10, data: 0x18, tss: 0x20 };
/** The 0x08/0x10 pair many VMMs load (QEMU's PVH ROM, Firecracker); TSS after them. */
export const VMM_SELECTORS: GdtSelectors = { code: 0x08, data: 0x10, tss: 0x18 };

/** The switches the x86 flat-payload builders declare (`ArtefactRequest.switches`; the CLI's `--vmm-selectors`). */
export const X86_ARTEFACT_SWITCHES: Readonly<Record<string, string>> = {
  "vmm-selectors": "use the 0x08/0x10 selectors many VMMs load instead of boot.rst's 0x10/0x18",
};

/** The selectors an artefact's GDT uses: {@link VMM_SELECTORS} when the request turns `vmm-selectors` on, else {@link BOOT_SELECTORS}. */
export function handoffSelectors(request: Pick<ArtefactRequest, "switches">): GdtSelectors {
  return request.switches?.includes("vmm-selectors") ? VMM_SELECTORS : BOOT_SELECTORS;
}

/** A hand-off GDT: null, flat code, flat data and a TSS (base 0, limit 0x67) at the given selectors. */
export interface HandoffGdt {
  readonly bytes: Uint8Array;
  readonly selectors: GdtSelectors;
  readonly code: SegmentDescriptor;
  readonly data: SegmentDescriptor;
  readonly tss: SegmentDescriptor;
  /** GDTR limit (bytes - 1). */
  readonly limit: number;
}

/**
 * Build the GDT a stub loads. `long` selects a 64-bit code segment and a
 * 16-byte TSS descriptor (SDM Vol. 3A §8.2.3).
 */
export function buildHandoffGdt(selectors: GdtSelectors, long: boolean): HandoffGdt {
  const code = flatSegment(long ? DESC.CODE64 : DESC.CODE32);
  const data = flatSegment(DESC.DATA32);
  const tss: SegmentDescriptor = { base: 0n, rawLimit: 0x67, flags: long ? DESC.TSS64_AVAILABLE : DESC.TSS32_AVAILABLE };
  const tssSize = long ? 16 : 8;
  for (const [name, sel] of Object.entries(selectors)) {
    if (sel % 8 !== 0 || sel === 0 || sel > 0x78) throw new ValidationError("hand-off GDT", `selector ${name}=0x${sel.toString(16)} must be a non-null GDT selector below 0x80 with RPL 0`);
  }
  const size = Math.max(selectors.code + 8, selectors.data + 8, selectors.tss + tssSize);
  const bytes = new Uint8Array(size);
  const spans: [number, number][] = [];
  const place = (sel: number, b: Uint8Array, name: string) => {
    for (const [s, e] of spans) if (sel < e && s < sel + b.length) throw new ValidationError("hand-off GDT", `${name} at 0x${sel.toString(16)} overlaps another descriptor`);
    spans.push([sel, sel + b.length]);
    bytes.set(b, sel);
  };
  place(selectors.code, encodeDescriptor(code), "code");
  place(selectors.data, encodeDescriptor(data), "data");
  place(selectors.tss, encodeDescriptor(tss), "TSS"); // upper 8 bytes of a 64-bit TSS descriptor: base 63:32 = 0
  return { bytes, selectors, code, data, tss, limit: size - 1 };
}
