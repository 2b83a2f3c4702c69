// Multiboot headers, as a loader finds them: Multiboot Specification 0.6.96
// §3.1 (v1) and Multiboot2 Specification 2.0 §3.1 (v2). Both are searched for in
// a bounded window at the start of the file; checksums are verified and a v2
// tag walk is bounded by the header's own length.

/** v1: magic within the first 8192 bytes, 4-byte aligned (§3.1.1). */
export const MULTIBOOT1_MAGIC = 0x1badb002;
export const MULTIBOOT1_SEARCH = 8192;
/** v2: magic within the first 32768 bytes, 8-byte aligned (§3.1.1). */
export const MULTIBOOT2_MAGIC = 0xe85250d6;
export const MULTIBOOT2_SEARCH = 32768;

/** v1 flags (§3.1.2). */
export const MULTIBOOT1_FLAGS = { PAGE_ALIGN: 1 << 0, MEMORY_INFO: 1 << 1, VIDEO_MODE: 1 << 2, AOUT_KLUDGE: 1 << 16 } as const;

/** v2 header tag types (§3.1.3 - §3.1.13). */
export const MULTIBOOT2_TAGS: Readonly<Record<number, string>> = {
  0: "end",
  1: "information request",
  2: "address",
  3: "entry address",
  4: "console flags",
  5: "framebuffer",
  6: "module alignment",
  7: "EFI boot services",
  // Multiboot2 §3.1.12/13 name these after the CPU ("EFI i386/amd64 entry address"); by width here.
  8: "EFI 32-bit entry address",
  9: "EFI 64-bit entry address",
  10: "relocatable",
};

/** A multiboot (v1) header: flags, and the load addresses and entry when flag 16 is set. */
export interface Multiboot1Header {
  readonly version: 1;
  readonly offset: number;
  readonly flags: number;
  readonly flagNames: readonly string[];
  /** Present when flag bit 16 is set: where the loader must put the file. */
  readonly address?: { readonly header_addr: bigint; readonly load_addr: bigint; readonly load_end_addr: bigint; readonly bss_end_addr: bigint; readonly entry_addr: bigint };
  readonly video?: { readonly mode_type: number; readonly width: number; readonly height: number; readonly depth: number };
}

/** One multiboot2 header tag, with the fields handoff decodes. */
export interface Multiboot2Tag {
  readonly type: number;
  readonly name: string;
  readonly optional: boolean;
  readonly offset: number;
  readonly size: number;
  /** Decoded fields for the tags that have them. */
  readonly fields?: Readonly<Record<string, bigint | number | string>>;
}

/** A multiboot2 header: architecture, length and its tags. */
export interface Multiboot2Header {
  readonly version: 2;
  readonly offset: number;
  /** 0 = i386 protected mode, 4 = 32-bit MIPS. */
  readonly architecture: number;
  readonly headerLength: number;
  readonly tags: readonly Multiboot2Tag[];
}

/** A header found but not valid (bad checksum, tag running past its length): reported, not trusted. */
export interface MultibootProblem {
  readonly version: 1 | 2;
  readonly offset: number;
  readonly problem: string;
}

/** The multiboot headers found in an image's first bytes, and any problems with them. */
export interface MultibootHeaders {
  readonly multiboot1?: Multiboot1Header;
  readonly multiboot2?: Multiboot2Header;
  readonly problems: readonly MultibootProblem[];
}

/** Most tags a v2 header may have before we stop reading (each is at least 8 bytes; 32 KiB bounds it anyway). */
const MAX_TAGS = 4096;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

/** Find and decode the Multiboot v1 and v2 headers of a kernel image; never throws. */
export function findMultibootHeaders(bytes: Uint8Array): MultibootHeaders {
  const problems: MultibootProblem[] = [];
  let multiboot1: Multiboot1Header | undefined;
  let multiboot2: Multiboot2Header | undefined;
  const end1 = Math.min(bytes.length - 12, MULTIBOOT1_SEARCH - 12);
  for (let at = 0; at <= end1 && !multiboot1; at += 4) {
    if (u32(bytes, at) !== MULTIBOOT1_MAGIC) continue;
    const flags = u32(bytes, at + 4);
    if (((MULTIBOOT1_MAGIC + flags + u32(bytes, at + 8)) >>> 0) !== 0) {
      problems.push({ version: 1, offset: at, problem: "checksum: magic + flags + checksum is not 0 mod 2^32" });
      continue;
    }
    const flagNames = Object.entries(MULTIBOOT1_FLAGS).filter(([, bit]) => flags & bit).map(([n]) => n);
    let address: Multiboot1Header["address"];
    if (flags & MULTIBOOT1_FLAGS.AOUT_KLUDGE) {
      if (at + 32 > bytes.length) problems.push({ version: 1, offset: at, problem: "address fields run past the end of the file" });
      else {
        const f = (k: number) => BigInt(u32(bytes, at + 12 + 4 * k));
        address = { header_addr: f(0), load_addr: f(1), load_end_addr: f(2), bss_end_addr: f(3), entry_addr: f(4) };
      }
    }
    let video: Multiboot1Header["video"];
    if (flags & MULTIBOOT1_FLAGS.VIDEO_MODE && at + 48 <= bytes.length) {
      video = { mode_type: u32(bytes, at + 32), width: u32(bytes, at + 36), height: u32(bytes, at + 40), depth: u32(bytes, at + 44) };
    }
    multiboot1 = { version: 1, offset: at, flags, flagNames, ...(address ? { address } : {}), ...(video ? { video } : {}) };
  }
  const end2 = Math.min(bytes.length - 16, MULTIBOOT2_SEARCH - 16);
  for (let at = 0; at <= end2 && !multiboot2; at += 8) {
    if (u32(bytes, at) !== MULTIBOOT2_MAGIC) continue;
    const architecture = u32(bytes, at + 4);
    const headerLength = u32(bytes, at + 8);
    if (((MULTIBOOT2_MAGIC + architecture + headerLength + u32(bytes, at + 12)) >>> 0) !== 0) {
      problems.push({ version: 2, offset: at, problem: "checksum: magic + architecture + header_length + checksum is not 0 mod 2^32" });
      continue;
    }
    if (headerLength < 16 + 8 || headerLength > bytes.length - at) {
      problems.push({ version: 2, offset: at, problem: `header_length ${headerLength} is too short or runs past the end of the file` });
      continue;
    }
    const tags: Multiboot2Tag[] = [];
    let t = at + 16;
    const limit = at + headerLength;
    let ended = false;
    while (t + 8 <= limit && tags.length < MAX_TAGS) {
      const type = u16(bytes, t);
      const flags = u16(bytes, t + 2);
      const size = u32(bytes, t + 4);
      if (size < 8 || size > limit - t) {
        problems.push({ version: 2, offset: t, problem: `tag of type ${type} has size ${size}, outside the header` });
        break;
      }
      tags.push({ type, name: MULTIBOOT2_TAGS[type] ?? `unknown ${type}`, optional: (flags & 1) !== 0, offset: t, size, ...tagFields(bytes, type, t, size) });
      if (type === 0) {
        ended = true;
        break;
      }
      t += (size + 7) & ~7;
    }
    if (!ended) problems.push({ version: 2, offset: at, problem: "no end tag inside header_length" });
    multiboot2 = { version: 2, offset: at, architecture, headerLength, tags };
  }
  return { ...(multiboot1 ? { multiboot1 } : {}), ...(multiboot2 ? { multiboot2 } : {}), problems };
}

function tagFields(b: Uint8Array, type: number, at: number, size: number): { fields?: Record<string, bigint | number | string> } {
  const word = (k: number) => u32(b, at + 8 + 4 * k);
  const words = (size - 8) >>> 2;
  switch (type) {
    case 1:
      return { fields: { mbi_tag_types: Array.from({ length: words }, (_, k) => word(k)).join(",") } };
    case 2:
      return words >= 4 ? { fields: { header_addr: BigInt(word(0)), load_addr: BigInt(word(1)), load_end_addr: BigInt(word(2)), bss_end_addr: BigInt(word(3)) } } : {};
    case 3:
    case 8:
    case 9:
      return words >= 1 ? { fields: { entry_addr: BigInt(word(0)) } } : {};
    case 4:
      return words >= 1 ? { fields: { console_flags: word(0) } } : {};
    case 5:
      return words >= 3 ? { fields: { width: word(0), height: word(1), depth: word(2) } } : {};
    case 10:
      return words >= 4 ? { fields: { min_addr: BigInt(word(0)), max_addr: BigInt(word(1)), align: BigInt(word(2)), preference: word(3) } } : {};
    default:
      return {};
  }
}

/** The headers in a compact form for image metadata (undefined when there are none). */
export function multibootSummary(bytes: Uint8Array): Record<string, unknown> | undefined {
  const h = findMultibootHeaders(bytes);
  if (!h.multiboot1 && !h.multiboot2 && h.problems.length === 0) return undefined;
  return {
    ...(h.multiboot1 ? { v1: h.multiboot1 } : {}),
    ...(h.multiboot2 ? { v2: { ...h.multiboot2, tags: h.multiboot2.tags.map((t) => ({ type: t.type, name: t.name, optional: t.optional, offset: t.offset, size: t.size, ...(t.fields ?? {}) })) } } : {}),
    ...(h.problems.length ? { problems: h.problems } : {}),
  };
}
