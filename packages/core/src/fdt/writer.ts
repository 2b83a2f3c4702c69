/**
 * Flattened devicetree (DTB) writer, Devicetree Specification v0.4 chapter 5.
 * Layout (the one dtc uses): header, memory reservation block (8-aligned),
 * structure block (4-aligned), strings block. Output is deterministic: nodes
 * and properties in tree order, each property name stored once in the
 * strings block in order of first use (reusing a suffix of an earlier name,
 * as dtc does, so our output is byte-identical to dtc's re-encoding).
 */
import { ValidationError } from "../errors.js";
import { fitsUnsigned, hex } from "../bits.js";
import { FDT_HEADER, FDT_HEADER_SIZE, FDT_LAST_COMP_VERSION, FDT_MAGIC, FDT_VERSION, FdtToken } from "./reader.js";
import type { DeviceTree, FdtNode } from "./tree.js";

const UTF8 = new TextEncoder();
/** Property names are ASCII (§2.2.4.1 allows a subset), so string offsets equal byte offsets. */
const ASCII = UTF8;
const PROPERTY_NAME = /^[\x21-\x7e]{1,255}$/;
const NODE_NAME = /^[\x21-\x2e\x30-\x7e]{1,255}$/;

/** Encode `tree` as a DTB (version 17, last_comp_version 16). */
export function encodeFdt(tree: DeviceTree): Uint8Array {
  if (tree.root.name !== "") throw new ValidationError("root node", `is named '${tree.root.name}', must be empty`);
  // Strings block: like dtc, a name that already occurs as a NUL-terminated
  // suffix of the table (including a whole earlier name) is reused.
  let table = "";
  const nameOffset = (name: string): number => {
    const found = table.indexOf(`${name}\0`);
    if (found >= 0) return found;
    const off = table.length;
    table += `${name}\0`;
    return off;
  };

  // Structure block, built as a list of chunks then joined.
  const chunks: Uint8Array[] = [];
  let structSize = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    structSize += b.length;
  };
  const word = (n: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    return b;
  };
  const padded = (b: Uint8Array): Uint8Array => {
    const out = new Uint8Array(Math.ceil(b.length / 4) * 4);
    out.set(b);
    return out;
  };
  const emit = (node: FdtNode, path: string, depth: number): void => {
    if (depth > 64) throw new ValidationError(path, "nesting deeper than 64");
    push(word(FdtToken.BEGIN_NODE));
    push(padded(UTF8.encode(`${node.name}\0`)));
    const seenProps = new Set<string>();
    for (const p of node.properties) {
      if (seenProps.has(p.name)) throw new ValidationError(`${path} property ${p.name}`, "duplicate property");
      seenProps.add(p.name);
      if (!PROPERTY_NAME.test(p.name)) throw new ValidationError(`${path} property '${p.name}'`, "name must be 1..255 printable ASCII characters (§2.2.4.1)");
      push(word(FdtToken.PROP));
      push(word(p.value.length));
      push(word(nameOffset(p.name)));
      push(padded(p.value));
    }
    const seenChildren = new Set<string>();
    for (const c of node.children) {
      if (!NODE_NAME.test(c.name)) throw new ValidationError(`${path} child '${c.name}'`, "node name must be 1..255 printable ASCII characters other than '/' (§2.2.1)");
      if (seenChildren.has(c.name)) throw new ValidationError(`${path}/${c.name}`, "duplicate node name");
      seenChildren.add(c.name);
      emit(c, path === "/" ? `/${c.name}` : `${path}/${c.name}`, depth + 1);
    }
    push(word(FdtToken.END_NODE));
  };
  emit(tree.root, "/", 1);
  push(word(FdtToken.END));

  for (const [i, r] of tree.reservations.entries()) {
    if (!fitsUnsigned(r.address, 64) || !fitsUnsigned(r.size, 64) || r.address + r.size > 1n << 64n) {
      throw new ValidationError(`memreserve[${i}]`, `${hex(r.address)} + ${hex(r.size)} does not fit 64 bits`);
    }
  }
  if (!fitsUnsigned(BigInt(tree.bootCpuidPhys), 32)) throw new ValidationError("boot_cpuid_phys", `${tree.bootCpuidPhys} does not fit 32 bits`);

  const offRsv = FDT_HEADER_SIZE; // 40: already 8-aligned
  const rsvSize = (tree.reservations.length + 1) * 16;
  const offStruct = offRsv + rsvSize;
  const stringBytes = ASCII.encode(table);
  const stringsSize = stringBytes.length;
  const offStrings = offStruct + structSize;
  const totalsize = offStrings + stringsSize;
  const out = new Uint8Array(totalsize);
  const v = new DataView(out.buffer);
  v.setUint32(FDT_HEADER.magic, FDT_MAGIC, false);
  v.setUint32(FDT_HEADER.totalsize, totalsize, false);
  v.setUint32(FDT_HEADER.off_dt_struct, offStruct, false);
  v.setUint32(FDT_HEADER.off_dt_strings, offStrings, false);
  v.setUint32(FDT_HEADER.off_mem_rsvmap, offRsv, false);
  v.setUint32(FDT_HEADER.version, FDT_VERSION, false);
  v.setUint32(FDT_HEADER.last_comp_version, FDT_LAST_COMP_VERSION, false);
  v.setUint32(FDT_HEADER.boot_cpuid_phys, tree.bootCpuidPhys, false);
  v.setUint32(FDT_HEADER.size_dt_strings, stringsSize, false);
  v.setUint32(FDT_HEADER.size_dt_struct, structSize, false);
  tree.reservations.forEach((r, i) => {
    v.setBigUint64(offRsv + i * 16, r.address, false);
    v.setBigUint64(offRsv + i * 16 + 8, r.size, false);
  });
  let at = offStruct;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  out.set(stringBytes, at);
  return out;
}
