/**
 * Flattened devicetree (DTB) reader. Devicetree Specification v0.4, chapter 5
 * "Flattened Devicetree (DTB) Format". Everything is big-endian. Hostile input
 * is expected: every offset is checked against totalsize and its block, the
 * three blocks must not overlap each other or the header, names must be
 * NUL-terminated inside their block, and nesting depth and token count are
 * bounded.
 */
import { ByteReader } from "../byte-reader.js";
import { DeviceTree, FdtNode, FdtProperty, type FdtReservation } from "./tree.js";

/** §5.2 header fields (u32 big-endian, in this order). */
export const FDT_HEADER = {
  magic: 0,
  totalsize: 4,
  off_dt_struct: 8,
  off_dt_strings: 12,
  off_mem_rsvmap: 16,
  version: 20,
  last_comp_version: 24,
  boot_cpuid_phys: 28,
  size_dt_strings: 32,
  size_dt_struct: 36,
} as const;
/** §5.2: magic 0xd00dfeed. */
export const FDT_MAGIC = 0xd00dfeed;
/** Header size for version 17 (ten u32 fields). */
export const FDT_HEADER_SIZE = 40;
/** §5.2: this specification's version, and the oldest it is compatible with. */
export const FDT_VERSION = 17;
/** §5.2 last_comp_version: the oldest version this one is backward compatible with. */
export const FDT_LAST_COMP_VERSION = 16;

/** §5.4.1 structure block tokens. */
export const FdtToken = {
  BEGIN_NODE: 0x1,
  END_NODE: 0x2,
  PROP: 0x3,
  NOP: 0x4,
  END: 0x9,
} as const;

/** Bounds applied while walking a blob. */
export interface FdtLimits {
  /** Deepest node nesting accepted (the root is depth 1). Linux's libfdt uses 64 too. */
  readonly maxDepth: number;
  /** Structure-block tokens walked before giving up. */
  readonly maxTokens: number;
  /** Memory reservation entries accepted. */
  readonly maxReservations: number;
}

/** Limits used when none are given: 64 levels deep, 2^20 tokens, 4096 reservations. */
export const DEFAULT_FDT_LIMITS: FdtLimits = { maxDepth: 64, maxTokens: 1 << 20, maxReservations: 4096 };

/** Header of a parsed blob, as found. */
export interface FdtHeader {
  readonly totalsize: number;
  readonly offDtStruct: number;
  readonly offDtStrings: number;
  readonly offMemRsvmap: number;
  readonly version: number;
  readonly lastCompVersion: number;
  readonly bootCpuidPhys: number;
  readonly sizeDtStrings: number;
  readonly sizeDtStruct: number;
}

interface Block {
  readonly name: string;
  readonly field: keyof typeof FDT_HEADER;
  readonly start: number;
  readonly end: number;
}

/** Parse a DTB. `file` labels errors. Trailing bytes after totalsize are ignored. */
export function parseFdt(bytes: Uint8Array, file = "<dtb>", limits: Partial<FdtLimits> = {}): { tree: DeviceTree; header: FdtHeader } {
  const lim = { ...DEFAULT_FDT_LIMITS, ...limits };
  const r = new ByteReader(bytes, file, "FDT");
  r.require("header", 0, FDT_HEADER_SIZE);
  const magic = r.u32be("magic", FDT_HEADER.magic);
  if (magic !== FDT_MAGIC) r.fail("magic", 0, `0x${magic.toString(16)} is not 0xd00dfeed`);
  const h: FdtHeader = {
    totalsize: r.u32be("totalsize", FDT_HEADER.totalsize),
    offDtStruct: r.u32be("off_dt_struct", FDT_HEADER.off_dt_struct),
    offDtStrings: r.u32be("off_dt_strings", FDT_HEADER.off_dt_strings),
    offMemRsvmap: r.u32be("off_mem_rsvmap", FDT_HEADER.off_mem_rsvmap),
    version: r.u32be("version", FDT_HEADER.version),
    lastCompVersion: r.u32be("last_comp_version", FDT_HEADER.last_comp_version),
    bootCpuidPhys: r.u32be("boot_cpuid_phys", FDT_HEADER.boot_cpuid_phys),
    sizeDtStrings: r.u32be("size_dt_strings", FDT_HEADER.size_dt_strings),
    sizeDtStruct: r.u32be("size_dt_struct", FDT_HEADER.size_dt_struct),
  };
  if (h.version < FDT_VERSION) r.fail("version", FDT_HEADER.version, `version ${h.version} is older than 17 (no size_dt_struct)`);
  if (h.lastCompVersion > FDT_VERSION) r.fail("last_comp_version", FDT_HEADER.last_comp_version, `blob needs a version ${h.lastCompVersion} reader; this one implements 17`);
  if (h.totalsize < FDT_HEADER_SIZE || h.totalsize > bytes.length) {
    r.fail("totalsize", FDT_HEADER.totalsize, `0x${h.totalsize.toString(16)} is below the header size or past the end of the 0x${bytes.length.toString(16)}-byte buffer`);
  }
  // §5.1: rsvmap 8-byte aligned, structure block 4-byte aligned.
  if (h.offMemRsvmap % 8 !== 0) r.fail("off_mem_rsvmap", FDT_HEADER.off_mem_rsvmap, `0x${h.offMemRsvmap.toString(16)} is not 8-byte aligned`);
  if (h.offDtStruct % 4 !== 0) r.fail("off_dt_struct", FDT_HEADER.off_dt_struct, `0x${h.offDtStruct.toString(16)} is not 4-byte aligned`);

  const structBlock = checkBlock(r, h, "structure block", "off_dt_struct", h.offDtStruct, h.sizeDtStruct, "size_dt_struct");
  const stringsBlock = checkBlock(r, h, "strings block", "off_dt_strings", h.offDtStrings, h.sizeDtStrings, "size_dt_strings");
  if (h.offMemRsvmap < FDT_HEADER_SIZE || h.offMemRsvmap >= h.totalsize) {
    r.fail("off_mem_rsvmap", FDT_HEADER.off_mem_rsvmap, `0x${h.offMemRsvmap.toString(16)} is outside 0x28..totalsize 0x${h.totalsize.toString(16)}`);
  }
  // The reservation map has no size field: it may run up to the next block or totalsize.
  const rsvLimit = [structBlock, stringsBlock]
    .filter((b) => b.start > h.offMemRsvmap && b.end > b.start)
    .reduce((m, b) => Math.min(m, b.start), h.totalsize);
  const reservations: FdtReservation[] = [];
  let at = h.offMemRsvmap;
  for (let i = 0; ; i++) {
    if (at + 16 > rsvLimit) r.fail(`mem_rsvmap[${i}]`, at, `reservation map is not terminated before 0x${rsvLimit.toString(16)}`);
    if (i > lim.maxReservations) r.fail(`mem_rsvmap[${i}]`, at, `more than ${lim.maxReservations} reservations`);
    const address = r.u64be(`mem_rsvmap[${i}].address`, at);
    const size = r.u64be(`mem_rsvmap[${i}].size`, at + 8);
    at += 16;
    if (address === 0n && size === 0n) break;
    if (address + size > 1n << 64n) r.fail(`mem_rsvmap[${i}].size`, at - 8, `reservation wraps past 2^64`);
    reservations.push({ address, size });
  }
  const rsvBlock: Block = { name: "memory reservation block", field: "off_mem_rsvmap", start: h.offMemRsvmap, end: at };
  const blocks = [rsvBlock, structBlock, stringsBlock].filter((b) => b.end > b.start);
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const a = blocks[i]!;
      const b = blocks[j]!;
      if (a.start < b.end && b.start < a.end) {
        const later = a.start >= b.start ? a : b;
        r.fail(later.field, FDT_HEADER[later.field], `${a.name} 0x${a.start.toString(16)}..0x${a.end.toString(16)} overlaps ${b.name} 0x${b.start.toString(16)}..0x${b.end.toString(16)}`);
      }
    }
  }

  const root = walkStructure(r, structBlock, stringsBlock, lim);
  return { tree: new DeviceTree(root, reservations, h.bootCpuidPhys), header: h };
}

function checkBlock(r: ByteReader, h: FdtHeader, name: string, field: keyof typeof FDT_HEADER, offset: number, size: number, sizeField: keyof typeof FDT_HEADER): Block {
  if (offset < FDT_HEADER_SIZE) r.fail(field, FDT_HEADER[field], `${name} at 0x${offset.toString(16)} overlaps the header`);
  // offset and size are u32: their sum fits a double exactly, so no wrap.
  if (offset > h.totalsize) r.fail(field, FDT_HEADER[field], `${name} at 0x${offset.toString(16)} is past totalsize 0x${h.totalsize.toString(16)}`);
  if (offset + size > h.totalsize) r.fail(sizeField, FDT_HEADER[sizeField], `${name} 0x${offset.toString(16)} + 0x${size.toString(16)} runs past totalsize 0x${h.totalsize.toString(16)}`);
  return { name, field, start: offset, end: offset + size };
}

function walkStructure(r: ByteReader, s: Block, strings: Block, lim: FdtLimits): FdtNode {
  const stack: { node: FdtNode; childSeen: boolean }[] = [];
  let root: FdtNode | undefined;
  let p = s.start;
  for (let tokens = 0; ; tokens++) {
    if (tokens >= lim.maxTokens) r.fail("structure block", p, `more than ${lim.maxTokens} tokens`);
    if (p + 4 > s.end) r.fail("structure block", p, "ends without FDT_END");
    const token = r.u32be("token", p);
    const tokenAt = p;
    p += 4;
    switch (token) {
      case FdtToken.BEGIN_NODE: {
        const name = r.cString("node name", p, s.end);
        p = align4(p + name.length + 1);
        if (root && stack.length === 0) r.fail("FDT_BEGIN_NODE", tokenAt, "a second root node");
        if (stack.length >= lim.maxDepth) r.fail("FDT_BEGIN_NODE", tokenAt, `nesting deeper than ${lim.maxDepth}`);
        if (stack.length === 0 && name !== "") r.fail("node name", tokenAt + 4, `root node is named '${name}', must be empty`);
        if (stack.length > 0 && (name === "" || name.includes("/"))) r.fail("node name", tokenAt + 4, `'${name}' is not a valid node name`);
        const node = new FdtNode(name);
        const parent = stack[stack.length - 1];
        if (parent) {
          if (parent.node.child(name)) r.fail("node name", tokenAt + 4, `duplicate node '${name}'`);
          parent.node.children.push(node);
          parent.childSeen = true;
        } else {
          root = node;
        }
        stack.push({ node, childSeen: false });
        break;
      }
      case FdtToken.END_NODE:
        if (stack.length === 0) r.fail("FDT_END_NODE", tokenAt, "without a matching FDT_BEGIN_NODE");
        stack.pop();
        break;
      case FdtToken.PROP: {
        if (p + 8 > s.end) r.fail("FDT_PROP", tokenAt, "header runs past the structure block");
        const len = r.u32be("FDT_PROP.len", p);
        const nameoff = r.u32be("FDT_PROP.nameoff", p + 4);
        const valueAt = p + 8;
        if (len > s.end - valueAt) r.fail("FDT_PROP.len", p, `value of 0x${len.toString(16)} bytes runs past the structure block`);
        const top = stack[stack.length - 1];
        if (!top) r.fail("FDT_PROP", tokenAt, "property outside any node");
        if (top.childSeen) r.fail("FDT_PROP", tokenAt, "property after a subnode (§5.4.2: properties precede subnodes)");
        if (nameoff >= strings.end - strings.start) r.fail("FDT_PROP.nameoff", p + 4, `0x${nameoff.toString(16)} is outside the 0x${(strings.end - strings.start).toString(16)}-byte strings block`);
        const name = r.cString("property name", strings.start + nameoff, strings.end);
        if (name === "") r.fail("property name", strings.start + nameoff, "empty property name");
        if (top.node.property(name)) r.fail("property name", tokenAt, `duplicate property '${name}'`);
        top.node.properties.push(new FdtProperty(name, r.slice("FDT_PROP.value", valueAt, len), { file: r.file, offset: valueAt }));
        p = align4(valueAt + len);
        break;
      }
      case FdtToken.NOP:
        break;
      case FdtToken.END:
        if (stack.length !== 0) r.fail("FDT_END", tokenAt, `${stack.length} node(s) still open`);
        if (!root) r.fail("FDT_END", tokenAt, "no root node");
        return root;
      default:
        r.fail("token", tokenAt, `unknown token 0x${token.toString(16)}`);
    }
  }
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
